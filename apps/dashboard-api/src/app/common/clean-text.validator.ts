import { isEmail, registerDecorator, ValidationOptions } from 'class-validator';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Text both databases store as sent: no NUL (PostgreSQL text cannot hold it) and no unpaired
 * UTF-16 surrogate (UTF-8 cannot encode it; it was stored as U+FFFD, so the name listed
 * later differed from the one the creation answer showed).
 */
export function isCleanText(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

export function IsCleanText(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCleanText',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must not contain NUL characters or unpaired surrogates`, ...options },
      validator: { validate: (value: unknown) => typeof value !== 'string' || isCleanText(value) },
    });
  };
}

/**
 * class-validator's isEmail, made total: validator.js calls encodeURI on the address, which
 * throws URIError on an unpaired surrogate, and the ValidationPipe turned that into a 500.
 */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isEmailAddress',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be a valid email address`, ...options },
      validator: { validate: (value: unknown) => isCleanText(value) && isEmail(value) },
    });
  };
}
