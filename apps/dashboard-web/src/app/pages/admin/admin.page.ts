import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { AbstractControl, NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import type { AdminToken, AdminUser, AdminUserChanges, User } from '@lmarena-bridge/contracts';
import { firstValueFrom, merge } from 'rxjs';
import { AdminApi } from '../../core/admin.api';
import { LocalDateTimePipe, NumberPipe } from '../../core/format.pipes';
import { describeHttpError } from '../../core/http-error';
import { Remote } from '../../core/remote';
import { SessionStore } from '../../core/session.store';
import { ConfirmDialogComponent } from '../../shared/confirm-dialog.component';
import { DialogComponent } from '../../shared/dialog.component';
import { StatusBadgeComponent } from '../../shared/status-badge.component';
import { TokenTableComponent } from '../../shared/token-table.component';
import { limitLines } from '../../shared/usage-bars';
import { AuditLogComponent } from './audit-log.component';
import { IpDenylistComponent } from './ip-denylist.component';
import { UserCapsDialogComponent } from './user-caps-dialog.component';
import { createUserForm, invalidShown, setPasswordForm } from './user-forms';

export type AdminTab = 'users' | 'denylist' | 'audit';

/** An admin action waiting for confirmation. */
export type PendingAction =
  | { kind: 'user'; user: AdminUser; changes: AdminUserChanges; heading: string; message: string; label: string; danger: boolean }
  | { kind: 'token'; token: AdminToken; heading: string; message: string; label: string; danger: true };

@Component({
  selector: 'lmb-admin-page',
  imports: [
    ReactiveFormsModule,
    LocalDateTimePipe,
    NumberPipe,
    StatusBadgeComponent,
    ConfirmDialogComponent,
    DialogComponent,
    TokenTableComponent,
    AuditLogComponent,
    IpDenylistComponent,
    UserCapsDialogComponent,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './admin.page.html',
})
export class AdminPage {
  private readonly api = inject(AdminApi);
  private readonly destroyRef = inject(DestroyRef);
  protected readonly me = inject(SessionStore).user;

  protected readonly users = new Remote<AdminUser[]>();
  protected readonly tokens = new Remote<AdminToken[]>();
  protected readonly pending = signal<PendingAction | null>(null);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<string | null>(null);
  protected readonly done = signal<string | null>(null);
  protected readonly activeTokens = computed(() => (this.tokens.value() ?? []).filter((t) => t.status === 'active').length);
  protected readonly tab = signal<AdminTab>('users');
  protected readonly tabs: ReadonlyArray<{ id: AdminTab; label: string }> = [
    { id: 'users', label: 'Users and tokens' },
    { id: 'denylist', label: 'IP deny list' },
    { id: 'audit', label: 'Audit log' },
  ];

  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly createForm = createUserForm(this.fb);
  protected readonly createOpen = signal(false);
  protected readonly passwordForm = setPasswordForm(this.fb);
  /** The user whose password is being set. */
  protected readonly passwordTarget = signal<AdminUser | null>(null);
  protected readonly formSubmitted = signal(false);
  protected readonly formBusy = signal(false);
  protected readonly formError = signal<string | null>(null);
  /** The user in the caps dialog. */
  protected readonly capsTarget = signal<AdminUser | null>(null);
  protected readonly capLines = limitLines;

  constructor() {
    this.reload();
  }

  protected reload(): void {
    merge(this.users.run(this.api.users()), this.tokens.run(this.api.tokens())).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  protected showsError(control: AbstractControl): boolean {
    return invalidShown(control, this.formSubmitted());
  }

  protected openCreate(): void {
    this.createForm.reset();
    this.openForm();
    this.createOpen.set(true);
  }

  protected openSetPassword(user: AdminUser): void {
    this.passwordForm.reset();
    this.openForm();
    this.passwordTarget.set(user);
  }

  protected closeForms(): void {
    if (this.formBusy()) return;
    this.createOpen.set(false);
    this.passwordTarget.set(null);
  }

  protected async createUser(): Promise<void> {
    this.formSubmitted.set(true);
    if (this.createForm.invalid || this.formBusy()) return;
    const { username, email, password, role } = this.createForm.getRawValue();
    await this.submit(async () => {
      const user = await firstValueFrom(this.api.createUser({ username: username.trim(), email: email.trim(), password, role }));
      this.createOpen.set(false);
      this.done.set(`${user.username} created (${user.role}).`);
      this.reload();
    });
  }

  protected async setPassword(): Promise<void> {
    const target = this.passwordTarget();
    this.formSubmitted.set(true);
    if (!target || this.passwordForm.invalid || this.formBusy()) return;
    await this.submit(async () => {
      await firstValueFrom(this.api.setPassword(target.id, this.passwordForm.getRawValue().password), { defaultValue: undefined });
      this.passwordTarget.set(null);
      this.done.set(`Password of ${target.username} set; their sessions have ended.`);
    });
  }

  private openForm(): void {
    this.formSubmitted.set(false);
    this.formError.set(null);
    this.done.set(null);
  }

  private async submit(work: () => Promise<void>): Promise<void> {
    this.formBusy.set(true);
    this.formError.set(null);
    try {
      await work();
    } catch (err) {
      this.formError.set(describeHttpError(err));
    } finally {
      this.formBusy.set(false);
    }
  }

  protected openCaps(user: AdminUser): void {
    this.done.set(null);
    this.capsTarget.set(user);
  }

  protected capsSaved(user: User): void {
    this.capsTarget.set(null);
    this.done.set(`Caps of ${user.username} saved; every proxy applies them within a second.`);
    this.reload();
  }

  protected isMe(user: AdminUser): boolean {
    return user.id === this.me()?.id;
  }

  protected askToggleDisabled(user: AdminUser): void {
    const disable = !user.disabled;
    this.ask({
      kind: 'user',
      user,
      changes: { disabled: disable },
      heading: disable ? `Disable ${user.username}?` : `Enable ${user.username}?`,
      message: disable
        ? `${user.username} is signed out everywhere at once, cannot sign in, and all of their ${user.token_count} token(s) stop working until the account is enabled again.`
        : `${user.username} can sign in again and their unrevoked, unexpired tokens work again.`,
      label: disable ? 'Disable account' : 'Enable account',
      danger: disable,
    });
  }

  protected askToggleRole(user: AdminUser): void {
    const promote = user.role !== 'admin';
    this.ask({
      kind: 'user',
      user,
      changes: { role: promote ? 'admin' : 'user' },
      heading: promote ? `Make ${user.username} an admin?` : `Remove admin rights from ${user.username}?`,
      message: promote
        ? `${user.username} will see every user and token and can disable accounts and revoke any token.`
        : `${user.username} keeps their own tokens but can no longer manage users or other people's tokens.`,
      label: promote ? 'Promote to admin' : 'Demote to user',
      danger: !promote,
    });
  }

  protected askRevoke(token: AdminToken): void {
    this.ask({
      kind: 'token',
      token,
      heading: 'Revoke this token?',
      message: `“${token.name}” (${token.hint}) of ${token.username} stops working immediately. This cannot be undone.`,
      label: 'Revoke token',
      danger: true,
    });
  }

  protected cancel(): void {
    if (!this.busy()) this.pending.set(null);
  }

  protected async confirm(): Promise<void> {
    const action = this.pending();
    if (!action || this.busy()) return;
    this.busy.set(true);
    this.actionError.set(null);
    try {
      if (action.kind === 'user') {
        const updated = await firstValueFrom(this.api.updateUser(action.user.id, action.changes));
        this.done.set(`${updated.username} updated.`);
      } else {
        await firstValueFrom(this.api.revokeToken(action.token.id), { defaultValue: undefined });
        this.done.set(`Token “${action.token.name}” of ${action.token.username} revoked.`);
      }
      this.pending.set(null);
      this.reload();
    } catch (err) {
      this.actionError.set(describeHttpError(err));
    } finally {
      this.busy.set(false);
    }
  }

  private ask(action: PendingAction): void {
    this.actionError.set(null);
    this.done.set(null);
    this.pending.set(action);
  }
}
