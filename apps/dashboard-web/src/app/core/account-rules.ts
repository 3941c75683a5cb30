import { AbstractControl, ValidationErrors, ValidatorFn } from '@angular/forms';

// The dashboard API's account rules, checked before sending so users see them at once.
// The API checks them again and its messages are shown as well.
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_BYTES = 72;
export const EMAIL_MAX_LENGTH = 254;

/** `passwordLength: { tooShort | tooLong }`: 8 characters to 72 bytes of UTF-8 (bcrypt's limit). */
export const passwordRules: ValidatorFn = (control: AbstractControl<string>): ValidationErrors | null => {
  const value = control.value ?? '';
  if (!value) return null;
  if ([...value].length < PASSWORD_MIN_CHARS) return { passwordTooShort: true };
  if (new TextEncoder().encode(value).length > PASSWORD_MAX_BYTES) return { passwordTooLong: true };
  return null;
};

/** On the form: `repeat` must equal `password`. */
export const passwordsMatch: ValidatorFn = (group: AbstractControl): ValidationErrors | null => {
  const password = group.get('password')?.value as string | undefined;
  const repeat = group.get('repeat')?.value as string | undefined;
  return repeat && password !== repeat ? { passwordsDiffer: true } : null;
};
