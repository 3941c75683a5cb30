import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { AbstractControl, NonNullableFormBuilder, ReactiveFormsModule, ValidationErrors } from '@angular/forms';
import type { CreatedToken, NewToken, Token } from '@lmarena-bridge/contracts';
import { firstValueFrom } from 'rxjs';
import { describeHttpError } from '../../core/http-error';
import { PROXY_BASE_URL } from '../../core/proxy-url';
import { Remote } from '../../core/remote';
import { TokensApi } from '../../core/tokens.api';
import { ConfirmDialogComponent } from '../../shared/confirm-dialog.component';
import { CopyButtonComponent } from '../../shared/copy-button.component';
import { DialogComponent } from '../../shared/dialog.component';
import { limitsForCreate, limitsForm } from '../../shared/limits-form';
import { LimitsFormComponent } from '../../shared/limits-form.component';
import { TokenTableComponent } from '../../shared/token-table.component';
import { TokenSnippetsComponent } from '../../shared/token-snippets.component';
import { TokenEditDialogComponent } from './token-edit-dialog.component';
import { TOKEN_NAME_MAX, tokenNameValidators } from './token-rules';

/** `YYYY-MM-DD` from a date input → the end of that day in the user's time zone, as ISO. */
export function endOfLocalDay(day: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Today as `YYYY-MM-DD` in the user's time zone (the date input's minimum). */
export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function futureDay(control: AbstractControl<string>): ValidationErrors | null {
  if (!control.value) return null;
  const iso = endOfLocalDay(control.value);
  return !iso ? { date: true } : new Date(iso).getTime() <= Date.now() ? { past: true } : null;
}

@Component({
  selector: 'lmb-tokens-page',
  imports: [
    ReactiveFormsModule,
    DialogComponent,
    ConfirmDialogComponent,
    CopyButtonComponent,
    LimitsFormComponent,
    TokenEditDialogComponent,
    TokenSnippetsComponent,
    TokenTableComponent,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './tokens.page.html',
})
export class TokensPage {
  private readonly api = inject(TokensApi);
  private readonly destroyRef = inject(DestroyRef);
  protected readonly proxyBaseUrl = inject(PROXY_BASE_URL);
  protected readonly nameMax = TOKEN_NAME_MAX;
  protected readonly today = localToday();

  protected readonly tokens = new Remote<Token[]>();

  protected readonly createOpen = signal(false);
  protected readonly createBusy = signal(false);
  protected readonly createError = signal<string | null>(null);
  protected readonly createSubmitted = signal(false);
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly createForm = this.fb.group({
    name: ['', tokenNameValidators],
    expires: ['', futureDay],
    limits: limitsForm(this.fb),
  });

  /** The token just created, with its secret: shown once, dropped when the dialog closes. */
  protected readonly created = signal<CreatedToken | null>(null);

  /** The token in the edit dialog. */
  protected readonly editTarget = signal<Token | null>(null);

  protected readonly revokeTarget = signal<Token | null>(null);
  protected readonly revokeBusy = signal(false);
  protected readonly revokeError = signal<string | null>(null);

  constructor() {
    this.reload();
  }

  protected reload(): void {
    this.tokens.run(this.api.list()).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  protected openCreate(): void {
    this.createForm.reset();
    this.createError.set(null);
    this.createSubmitted.set(false);
    this.createOpen.set(true);
  }

  protected closeCreate(): void {
    if (!this.createBusy()) this.createOpen.set(false);
  }

  protected async create(): Promise<void> {
    this.createSubmitted.set(true);
    if (this.createForm.invalid || this.createBusy()) return;
    const { name, expires, limits } = this.createForm.getRawValue();
    const body: NewToken = { name: name.trim() };
    const expiresAt = expires ? endOfLocalDay(expires) : null;
    if (expiresAt) body.expires_at = expiresAt;
    const setLimits = limitsForCreate(limits);
    if (setLimits) body.limits = setLimits;
    this.createBusy.set(true);
    this.createError.set(null);
    try {
      const token = await firstValueFrom(this.api.create(body));
      this.createOpen.set(false);
      this.created.set(token);
      this.reload();
    } catch (err) {
      this.createError.set(describeHttpError(err));
    } finally {
      this.createBusy.set(false);
    }
  }

  protected closeSecret(): void {
    this.created.set(null);
  }

  protected edit(token: Token): void {
    this.editTarget.set(token);
  }

  protected edited(): void {
    this.editTarget.set(null);
    this.reload();
  }

  protected askRevoke(token: Token): void {
    this.revokeError.set(null);
    this.revokeTarget.set(token);
  }

  protected cancelRevoke(): void {
    if (!this.revokeBusy()) this.revokeTarget.set(null);
  }

  protected async revoke(): Promise<void> {
    const token = this.revokeTarget();
    if (!token || this.revokeBusy()) return;
    this.revokeBusy.set(true);
    this.revokeError.set(null);
    try {
      await firstValueFrom(this.api.revoke(token.id), { defaultValue: undefined });
      this.revokeTarget.set(null);
      this.reload();
    } catch (err) {
      this.revokeError.set(describeHttpError(err));
    } finally {
      this.revokeBusy.set(false);
    }
  }

  protected showsError(control: AbstractControl): boolean {
    return control.invalid && (control.touched || this.createSubmitted());
  }
}
