import { ValidateIf } from 'class-validator';

/**
 * An optional field that may be left out but not sent as null. class-validator's
 * @IsOptional() also skips null, which then reached the services: `{"disabled": null}` wrote
 * NULL into a NOT NULL column (a 500), `{"expires_at": null}` read as 1970 ("must be in the
 * future").
 */
export const OptionalNotNull = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);
