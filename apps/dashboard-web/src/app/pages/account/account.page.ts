import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { AbstractControl, NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import type { SessionInfo } from '@lmarena-bridge/contracts';
import { firstValueFrom } from 'rxjs';
import { AccountApi } from '../../core/account.api';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, passwordRules, passwordsMatch } from '../../core/account-rules';
import { LocalDateTimePipe } from '../../core/format.pipes';
import { describeHttpError } from '../../core/http-error';
import { Remote } from '../../core/remote';
import { SessionStore } from '../../core/session.store';
import { ConfirmDialogComponent } from '../../shared/confirm-dialog.component';

/** What waits for confirmation: one session, or all of them. */
type PendingRevoke = { kind: 'one'; session: SessionInfo } | { kind: 'all' };

@Component({
  selector: 'lmb-account-page',
  imports: [ReactiveFormsModule, LocalDateTimePipe, ConfirmDialogComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './account.page.html',
})
export class AccountPage {
  private readonly api = inject(AccountApi);
  private readonly router = inject(Router);
  private readonly destroyRef = inject(DestroyRef);
  protected readonly session = inject(SessionStore);
  protected readonly minChars = PASSWORD_MIN_CHARS;
  protected readonly maxBytes = PASSWORD_MAX_BYTES;

  protected readonly sessions = new Remote<SessionInfo[]>();

  protected readonly passwordForm = inject(NonNullableFormBuilder).group(
    {
      current: ['', Validators.required],
      password: ['', [Validators.required, passwordRules]],
      repeat: ['', Validators.required],
    },
    { validators: passwordsMatch },
  );
  protected readonly passwordSubmitted = signal(false);
  protected readonly passwordBusy = signal(false);
  protected readonly passwordError = signal<string | null>(null);
  protected readonly passwordDone = signal<string | null>(null);

  protected readonly pending = signal<PendingRevoke | null>(null);
  protected readonly revokeBusy = signal(false);
  protected readonly revokeError = signal<string | null>(null);

  constructor() {
    this.reload();
  }

  protected reload(): void {
    this.sessions.run(this.api.sessions()).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  protected showsError(control: AbstractControl): boolean {
    return control.invalid && (control.touched || this.passwordSubmitted());
  }

  protected async changePassword(): Promise<void> {
    this.passwordSubmitted.set(true);
    this.passwordDone.set(null);
    if (this.passwordForm.invalid || this.passwordBusy()) return;
    const { current, password } = this.passwordForm.getRawValue();
    this.passwordBusy.set(true);
    this.passwordError.set(null);
    try {
      await firstValueFrom(this.api.changePassword({ current_password: current, new_password: password }), { defaultValue: undefined });
      this.passwordForm.reset();
      this.passwordSubmitted.set(false);
      this.passwordDone.set('Password changed. Your other sessions have been signed out.');
      this.reload();
    } catch (err) {
      this.passwordError.set(describeHttpError(err));
    } finally {
      this.passwordBusy.set(false);
    }
  }

  protected askRevoke(session: SessionInfo): void {
    this.revokeError.set(null);
    this.pending.set({ kind: 'one', session });
  }

  protected askRevokeAll(): void {
    this.revokeError.set(null);
    this.pending.set({ kind: 'all' });
  }

  protected cancel(): void {
    if (!this.revokeBusy()) this.pending.set(null);
  }

  protected heading(p: PendingRevoke | null): string {
    return p?.kind === 'all' ? 'Sign out everywhere?' : 'End this session?';
  }

  protected message(p: PendingRevoke | null): string {
    if (p?.kind === 'all') return 'Every browser signed in to your account is signed out, this one included.';
    if (p?.kind === 'one')
      return `The browser signed in ${p.session.ip ? `from ${p.session.ip}` : ''} (${p.session.user_agent ?? 'unknown browser'}) is signed out.`;
    return '';
  }

  protected async confirm(): Promise<void> {
    const p = this.pending();
    if (!p || this.revokeBusy()) return;
    this.revokeBusy.set(true);
    this.revokeError.set(null);
    try {
      if (p.kind === 'all') {
        await firstValueFrom(this.api.logoutAll(), { defaultValue: undefined });
        this.pending.set(null);
        this.session.signedOut('You have been signed out everywhere.');
        await this.router.navigateByUrl('/');
        return;
      }
      await firstValueFrom(this.api.revokeSession(p.session.id), { defaultValue: undefined });
      this.pending.set(null);
      this.reload();
    } catch (err) {
      this.revokeError.set(describeHttpError(err));
    } finally {
      this.revokeBusy.set(false);
    }
  }
}
