import { HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import type { User } from '@lmarena-bridge/contracts';
import { firstValueFrom } from 'rxjs';
import { EMAIL_MAX_LENGTH, passwordRules, passwordsMatch, USERNAME_PATTERN } from '../../core/account-rules';
import { AuthApi } from '../../core/auth.api';
import { safeReturnUrl } from '../../core/auth.guard';
import { describeHttpError } from '../../core/http-error';
import { SessionStore } from '../../core/session.store';

export type LoginMode = 'signin' | 'register' | 'init';

const TABS: ReadonlyArray<{ mode: LoginMode; label: string }> = [
  { mode: 'signin', label: 'Sign in' },
  { mode: 'register', label: 'Create account' },
  { mode: 'init', label: 'Initialize admin' },
];

@Component({
  selector: 'lmb-login-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './login.page.html',
  styles: `
    :host {
      display: block;
      max-width: 28rem;
      margin: 1rem auto;
    }
    .hint {
      font-size: 0.9rem;
      color: var(--muted);
    }
    form {
      display: grid;
      gap: 0.85rem;
      margin-top: 1rem;
    }
    .switch {
      margin-top: 1rem;
      font-size: 0.9rem;
    }
  `,
})
export class LoginPage {
  private readonly auth = inject(AuthApi);
  private readonly session = inject(SessionStore);
  private readonly router = inject(Router);
  private readonly fb = inject(NonNullableFormBuilder);

  /** `?next=/tokens`: where to go after signing in (bound from the query). */
  readonly next = input<string>();

  protected readonly tabs = TABS;
  protected readonly mode = signal<LoginMode>('signin');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly success = signal<string | null>(null);
  /** Why we are here (session ended, signed out); shown until the user acts. */
  protected readonly notice = signal<string | null>(this.session.notice());
  protected readonly submitted = signal(false);
  protected readonly heading = computed(() => ({ signin: 'Sign in', register: 'Create an account', init: 'Initialize the admin account' })[this.mode()]);

  protected readonly signIn = this.fb.group({
    username: ['', Validators.required],
    password: ['', Validators.required],
  });

  protected readonly account = this.fb.group(
    {
      username: ['', [Validators.required, Validators.pattern(USERNAME_PATTERN)]],
      email: ['', [Validators.required, Validators.email, Validators.maxLength(EMAIL_MAX_LENGTH)]],
      password: ['', [Validators.required, passwordRules]],
      repeat: ['', Validators.required],
    },
    { validators: passwordsMatch },
  );

  constructor() {
    this.session.notice.set(null);
  }

  protected select(mode: LoginMode): void {
    this.mode.set(mode);
    this.error.set(null);
    this.submitted.set(false);
  }

  /** Show a control's problem once it was touched or the form was submitted. */
  protected shows(control: { invalid: boolean; touched: boolean }): boolean {
    return control.invalid && (control.touched || this.submitted());
  }

  protected async submitSignIn(): Promise<void> {
    this.submitted.set(true);
    if (this.signIn.invalid || this.busy()) return;
    const { username, password } = this.signIn.getRawValue();
    await this.run(async () => this.finish(await firstValueFrom(this.auth.login(username, password))));
  }

  protected async submitAccount(): Promise<void> {
    this.submitted.set(true);
    if (this.account.invalid || this.busy()) return;
    const { username, email, password } = this.account.getRawValue();
    const mode = this.mode();
    await this.run(async () => {
      try {
        await firstValueFrom(mode === 'init' ? this.auth.initAdmin({ username, email, password }) : this.auth.register({ username, email, password }));
      } catch (err) {
        if (mode === 'init' && err instanceof HttpErrorResponse && err.status === 409) {
          throw new Error('This server is already set up: an account exists. Sign in, or create an ordinary account.');
        }
        throw err;
      }
      // Registration does not start a session: sign in with the same credentials.
      this.finish(await firstValueFrom(this.auth.login(username, password)));
    });
  }

  private async run(work: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    this.notice.set(null);
    try {
      await work();
    } catch (err) {
      this.error.set(describeHttpError(err));
    } finally {
      this.busy.set(false);
    }
  }

  private finish(user: User): void {
    this.session.signedInAs(user);
    void this.router.navigateByUrl(safeReturnUrl(this.next()) ?? '/dashboard');
  }
}
