import { AbstractControl, NonNullableFormBuilder, Validators } from '@angular/forms';
import { EMAIL_MAX_LENGTH, passwordRules, passwordsMatch, USERNAME_PATTERN } from '../../core/account-rules';

/** The admin's "create user" form: the registration rules plus a role. */
export function createUserForm(fb: NonNullableFormBuilder) {
  return fb.group({
    username: ['', [Validators.required, Validators.pattern(USERNAME_PATTERN)]],
    email: ['', [Validators.required, Validators.email, Validators.maxLength(EMAIL_MAX_LENGTH)]],
    password: ['', [Validators.required, passwordRules]],
    role: fb.control<'user' | 'admin'>('user'),
  });
}

/** The admin's "set password" form: new password twice. */
export function setPasswordForm(fb: NonNullableFormBuilder) {
  return fb.group(
    {
      password: ['', [Validators.required, passwordRules]],
      repeat: ['', Validators.required],
    },
    { validators: passwordsMatch },
  );
}

export function invalidShown(control: AbstractControl, submitted: boolean): boolean {
  return control.invalid && (control.touched || submitted);
}
