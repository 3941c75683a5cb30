import { passwordProblem } from '@lmarena-bridge/auth';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** The account password rules of libs/auth (8 characters to 72 bytes) as a DTO decorator. */
export function IsAcceptablePassword(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && passwordProblem(value) === null,
        // passwordProblem speaks of "password"; name the field actually sent (new_password).
        defaultMessage: (args?: ValidationArguments) =>
          (typeof args?.value === 'string' ? (passwordProblem(args.value) ?? '') : 'password must be a string').replace(
            /^password/,
            args?.property ?? 'password',
          ),
      },
    });
  };
}
