import { runInTransaction } from '@lmarena-bridge/database';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource, LessThanOrEqual } from 'typeorm';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, RetryPolicy } from './backoff';
import { WebhookDeliveryEntity, WebhookEntity, WebhookLeaseEntity, WebhookOutboxEntity } from './entities';
import { holdLease } from './lease';
import { SecretBox, signWebhook } from './secret-box';
import { sendWebhook } from './sender';

export interface DeliveryWorkerOptions {
  allowPrivate: boolean;
  /** Null: webhooks are not configured, nothing can be signed (rows wait). */
  box: SecretBox | null;
  retry?: RetryPolicy;
  /** How often the outbox is polled. Events written by this instance also wake the worker. */
  pollMs?: number;
  /** How long a taken lease is valid without renewal (renewed every poll). */
  leaseMs?: number;
  /** Rows sent at once (each its own request). */
  batchSize?: number;
  clock?: () => Date;
  /** Distinguishes instances in the lease row. */
  holder?: string;
}

const LEASE = 'webhook-delivery';

/**
 * Sends the outbox. One instance at a time across every dashboard sharing the database: the
 * holder of the `webhook_lease` row (taken when expired, renewed on every poll) sends; the
 * others only poll for the lease. A holder that dies stops renewing and another takes over after
 * `leaseMs`. A row is marked only after its attempt is logged, so a restart mid-way resends at
 * most the attempts in flight (at least once; the delivery id lets receivers drop duplicates).
 */
export class DeliveryWorker {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly retry: RetryPolicy;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly clock: () => Date;
  readonly holder: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: DeliveryWorkerOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 20;
    this.clock = options.clock ?? (() => new Date());
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(0, 64);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling, waits for the attempts in flight, and gives the lease up for the next instance. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.dataSource
      .getRepository(WebhookLeaseEntity)
      .delete({ name: LEASE, holder: this.holder })
      .catch(() => undefined);
  }

  /** Polls now (after an event was written, or the test button). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn(`webhook delivery poll failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          this.running = null;
          const more = this.again;
          this.again = false;
          this.schedule(more ? 0 : this.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One poll: take or renew the lease, then send every due row (batch by batch). Public for tests. */
  async tick(): Promise<number> {
    if (!this.options.box) return 0;
    let sent = 0;
    while (await this.holdLease()) {
      const due = await this.dataSource.getRepository(WebhookOutboxEntity).find({
        where: { state: 'pending', nextAttemptAt: LessThanOrEqual(this.clock()) },
        order: { nextAttemptAt: 'ASC', id: 'ASC' },
        take: this.batchSize,
      });
      if (due.length === 0) break;
      await Promise.all(due.map((row) => this.attempt(row)));
      sent += due.length;
      if (due.length < this.batchSize || this.stopped) break;
    }
    return sent;
  }

  /** Takes the lease if free or expired, renews it if ours. */
  holdLease(): Promise<boolean> {
    return holdLease(this.dataSource, LEASE, this.holder, this.clock().getTime(), this.leaseMs);
  }

  private async attempt(row: WebhookOutboxEntity): Promise<void> {
    const webhook = await this.dataSource.getRepository(WebhookEntity).findOneBy({ id: row.webhookId });
    if (!webhook) return; // deleted meanwhile: its outbox rows go with it (ON DELETE CASCADE)
    const box = this.options.box as SecretBox;
    const timestamp = String(Math.floor(this.clock().getTime() / 1000));
    const headers = {
      'x-lmb-event': row.type,
      'x-lmb-delivery': row.deliveryId,
      'x-lmb-timestamp': timestamp,
      'x-lmb-signature': signWebhook(box.open(webhook.secret), timestamp, row.body),
    };
    const result = await sendWebhook(webhook.url, headers, row.body, this.options.allowPrivate);
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const attempt = row.attempts + 1;
    const now = this.clock();
    const next = ok ? null : nextAttemptAt(this.retry, row.createdAt, attempt, now);
    await runInTransaction(this.dataSource, async (manager) => {
      await manager.getRepository(WebhookDeliveryEntity).insert({
        outboxId: row.id,
        webhookId: row.webhookId,
        deliveryId: row.deliveryId,
        type: row.type,
        attempt,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        error: result.error,
        responseBody: result.responseBody,
        createdAt: now,
      });
      await manager
        .getRepository(WebhookOutboxEntity)
        .update(
          { id: row.id },
          ok || !next ? { attempts: attempt, state: ok ? 'delivered' : 'failed', finishedAt: now } : { attempts: attempt, nextAttemptAt: next },
        );
    }).catch((err: unknown) => {
      // The webhook was deleted during the attempt (its rows cascaded away): nothing to record.
      if (err instanceof Error && /foreign key/i.test(err.message)) return;
      throw err;
    });
    if (!ok) this.logger.log(`webhook ${row.webhookId} delivery ${row.deliveryId} attempt ${attempt} failed: ${result.error}${next ? '' : ' (given up)'}`);
  }
}
