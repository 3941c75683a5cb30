import { ApiProperty } from '@nestjs/swagger';

/** The dashboard's error shape (NestJS style). */
export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], example: ['password must be at least 8 characters'] })
  message!: string | string[];
}

/** The same shape with a machine-readable `code`, where the status alone does not say what happened. */
export class CodedErrorDto extends ErrorDto {
  @ApiProperty({ example: 'token_revoked' }) code!: string;
}
