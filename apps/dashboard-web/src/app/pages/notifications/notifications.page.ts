import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { ADMIN_WEBHOOK_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from '@lmarena-bridge/contracts';
import type { CreatedWebhook, Webhook, WebhookDelivery, WebhookEventType } from '@lmarena-bridge/contracts';
import { firstValueFrom } from 'rxjs';
import { LocalDateTimePipe } from '../../core/format.pipes';
import { describeHttpError } from '../../core/http-error';
import { NotificationsApi, ReportPreference } from '../../core/notifications.api';
import { Remote } from '../../core/remote';
import { SessionStore } from '../../core/session.store';
import { ConfirmDialogComponent } from '../../shared/confirm-dialog.component';
import { CopyButtonComponent } from '../../shared/copy-button.component';

/** Webhooks (create with the secret shown once, delete, test-send, deliveries) and the e-mail report preference. */
@Component({
  selector: 'lmb-notifications-page',
  imports: [FormsModule, LocalDateTimePipe, ConfirmDialogComponent, CopyButtonComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './notifications.page.html',
})
export class NotificationsPage {
  private readonly api = inject(NotificationsApi);
  private readonly destroyRef = inject(DestroyRef);
  private readonly session = inject(SessionStore);

  protected readonly hooks = new Remote<Webhook[]>();
  protected readonly report = new Remote<ReportPreference>();
  /** Events this user may pick: system events only for admins. */
  protected readonly eventTypes = computed(() =>
    WEBHOOK_EVENT_TYPES.filter((e) => this.session.user()?.role === 'admin' || !ADMIN_WEBHOOK_EVENT_TYPES.includes(e)),
  );

  protected url = '';
  protected description = '';
  protected readonly chosen = signal<ReadonlySet<WebhookEventType>>(new Set(['token.expiring', 'quota.threshold']));
  protected readonly createBusy = signal(false);
  protected readonly createError = signal<string | null>(null);
  /** The hook just created, with its secret: shown until dismissed, never again. */
  protected readonly created = signal<CreatedWebhook | null>(null);

  protected readonly pendingDelete = signal<Webhook | null>(null);
  protected readonly deleteBusy = signal(false);
  protected readonly deleteError = signal<string | null>(null);

  protected readonly open = signal<number | null>(null);
  protected readonly deliveries = new Remote<WebhookDelivery[]>();
  protected readonly testNote = signal<string | null>(null);
  protected readonly reportNote = signal<string | null>(null);

  constructor() {
    this.reload();
    this.report.run(this.api.report()).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  protected reload(): void {
    this.hooks.run(this.api.webhooks()).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  protected toggle(event: WebhookEventType, on: boolean): void {
    const next = new Set(this.chosen());
    if (on) next.add(event);
    else next.delete(event);
    this.chosen.set(next);
  }

  protected async create(): Promise<void> {
    if (this.createBusy()) return;
    this.createBusy.set(true);
    this.createError.set(null);
    try {
      const hook = await firstValueFrom(
        this.api.create({ url: this.url.trim(), events: [...this.chosen()], ...(this.description.trim() ? { description: this.description.trim() } : {}) }),
      );
      this.created.set(hook);
      this.url = '';
      this.description = '';
      this.reload();
    } catch (err) {
      this.createError.set(describeHttpError(err));
    } finally {
      this.createBusy.set(false);
    }
  }

  protected showDeliveries(hook: Webhook): void {
    if (this.open() === hook.id) {
      this.open.set(null);
      return;
    }
    this.open.set(hook.id);
    this.testNote.set(null);
    this.deliveries.run(this.api.deliveries(hook.id)).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  protected async test(hook: Webhook): Promise<void> {
    try {
      const { delivery_id } = await firstValueFrom(this.api.test(hook.id));
      this.open.set(hook.id);
      this.testNote.set(`Test event queued (delivery ${delivery_id}). Refresh the deliveries to see the answer.`);
      this.deliveries.run(this.api.deliveries(hook.id)).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
    } catch (err) {
      this.testNote.set(describeHttpError(err));
    }
  }

  protected refreshDeliveries(id: number): void {
    this.deliveries.run(this.api.deliveries(id)).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  protected askDelete(hook: Webhook): void {
    this.deleteError.set(null);
    this.pendingDelete.set(hook);
  }

  protected cancelDelete(): void {
    if (!this.deleteBusy()) this.pendingDelete.set(null);
  }

  protected async confirmDelete(): Promise<void> {
    const hook = this.pendingDelete();
    if (!hook || this.deleteBusy()) return;
    this.deleteBusy.set(true);
    try {
      await firstValueFrom(this.api.remove(hook.id), { defaultValue: undefined });
      this.pendingDelete.set(null);
      if (this.open() === hook.id) this.open.set(null);
      this.reload();
    } catch (err) {
      this.deleteError.set(describeHttpError(err));
    } finally {
      this.deleteBusy.set(false);
    }
  }

  protected async setReport(value: string): Promise<void> {
    this.reportNote.set(null);
    try {
      const saved = await firstValueFrom(this.report.run(this.api.setReport(value as ReportPreference)), { defaultValue: undefined });
      if (saved) this.reportNote.set(saved === 'off' ? 'E-mail reports are off.' : `You will get a ${saved} usage report by e-mail.`);
      else this.reportNote.set(`Not saved: ${this.report.error() ?? 'the request failed.'}`);
    } catch (err) {
      this.reportNote.set(describeHttpError(err));
    }
  }
}
