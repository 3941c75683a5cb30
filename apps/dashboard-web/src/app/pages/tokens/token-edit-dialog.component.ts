import { ChangeDetectionStrategy, Component, effect, inject, input, output, signal, untracked } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import type { Token, TokenChanges } from '@lmarena-bridge/contracts';
import { firstValueFrom } from 'rxjs';
import { describeHttpError } from '../../core/http-error';
import { TokensApi } from '../../core/tokens.api';
import { DialogComponent } from '../../shared/dialog.component';
import { limitsChanges, limitsForm, limitsToForm } from '../../shared/limits-form';
import { LimitsFormComponent } from '../../shared/limits-form.component';
import { TOKEN_NAME_MAX, tokenNameValidators } from './token-rules';

/**
 * Renames a token and changes its limits. Open while `token` is set. Sends PATCH with only
 * what changed (a cleared limit as null) and closes without a request when nothing did.
 */
@Component({
  selector: 'lmb-token-edit-dialog',
  imports: [ReactiveFormsModule, DialogComponent, LimitsFormComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <lmb-dialog [open]="!!token()" [heading]="'Edit “' + (token()?.name ?? '') + '”'" [dismissible]="!busy()" (closed)="close()">
      <form [formGroup]="form" (ngSubmit)="save()" novalidate data-testid="edit-token-form">
        <div class="field">
          <label for="edit-token-name">Name</label>
          <input
            id="edit-token-name"
            formControlName="name"
            [maxlength]="nameMax"
            required
            autocomplete="off"
            [attr.aria-invalid]="showsError()"
            aria-describedby="edit-token-name-help"
          />
          <span class="field-help" [class.field-error]="showsError()" id="edit-token-name-help">Required; up to {{ nameMax }} characters.</span>
        </div>
        <lmb-limits-form [group]="form.controls.limits" idPrefix="edit-limits" [submitted]="submitted()" note="Your admin’s caps, if any, apply on top." />
        @if (error()) {
          <p class="alert alert-error" role="alert">{{ error() }}</p>
        }
        <div class="dialog-actions">
          <button type="button" class="btn" (click)="close()" [disabled]="busy()">Cancel</button>
          <button type="submit" class="btn btn-primary" [disabled]="busy()">{{ busy() ? 'Saving…' : 'Save changes' }}</button>
        </div>
      </form>
    </lmb-dialog>
  `,
})
export class TokenEditDialogComponent {
  /** The token being edited; null: closed. */
  readonly token = input<Token | null>(null);
  /** The token as the server stored it (names trimmed, IP ranges canonical). */
  readonly saved = output<Token>();
  readonly closed = output<void>();

  private readonly api = inject(TokensApi);
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly nameMax = TOKEN_NAME_MAX;
  protected readonly form = this.fb.group({
    name: ['', tokenNameValidators],
    limits: limitsForm(this.fb),
  });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  constructor() {
    // Each opening starts from the token as listed.
    effect(() => {
      const token = this.token();
      if (token) untracked(() => this.fill(token));
    });
  }

  private fill(token: Token): void {
    this.form.reset({ name: token.name, limits: limitsToForm(token.limits) });
    this.error.set(null);
    this.submitted.set(false);
  }

  protected showsError(): boolean {
    const name = this.form.controls.name;
    return name.invalid && (name.touched || this.submitted());
  }

  /** The PATCH body, or null when nothing changed. */
  protected changes(token: Token): TokenChanges | null {
    const { name, limits } = this.form.getRawValue();
    const body: TokenChanges = {};
    if (name.trim() !== token.name) body.name = name.trim();
    const changedLimits = limitsChanges(token.limits, limits);
    if (changedLimits) body.limits = changedLimits;
    return Object.keys(body).length ? body : null;
  }

  protected close(): void {
    if (!this.busy()) this.closed.emit();
  }

  protected async save(): Promise<void> {
    const token = this.token();
    this.submitted.set(true);
    if (!token || this.form.invalid || this.busy()) return;
    const body = this.changes(token);
    if (!body) {
      this.closed.emit();
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    try {
      this.saved.emit(await firstValueFrom(this.api.update(token.id, body)));
    } catch (err) {
      this.error.set(describeHttpError(err));
    } finally {
      this.busy.set(false);
    }
  }
}
