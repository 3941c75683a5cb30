import { DomainEvent, DomainEventSink } from '@lmarena-bridge/auth';
import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DeliveryWorker, DeliveryWorkerOptions } from './delivery-worker';
import { holdLease } from './lease';
import { Mailer } from './mailer';
import { NotificationJobs } from './notification-jobs';
import { enqueueWebhookEvent, OutboxEvent } from './outbox';
import { SecretBox } from './secret-box';

/** Overrides of the worker's timing (tests: short backoff, a clock). */
export abstract class DeliveryWorkerSettings {
  abstract readonly options: Partial<Omit<DeliveryWorkerOptions, 'box' | 'allowPrivate'>>;
  /** How often the periodic notices run (default 60 s); 0: never (tests call runJobs()). */
  abstract readonly jobsEveryMs?: number;
}

const JOBS_LEASE = 'notification-jobs';

/**
 * The running side of the webhooks in one dashboard: the secret box from the server key, the
 * delivery worker (started with the app, stopped before the database closes), and the outbox
 * writer that services call inside their transactions. A transaction that wrote outbox rows
 * wakes the worker right after it commits (a TypeORM subscriber), so delivery does not wait
 * for the next poll; the poll is there for the rows of other instances and for retries.
 */
@Injectable()
export class WebhookRuntime extends DomainEventSink implements OnApplicationBootstrap, OnApplicationShutdown, EntitySubscriberInterface {
  private readonly logger = new Logger(WebhookRuntime.name);
  readonly box: SecretBox | null;
  readonly allowPrivate: boolean;
  readonly worker: DeliveryWorker;
  readonly mailer: Mailer;
  readonly jobs: NotificationJobs;
  private readonly wrote = new WeakSet<QueryRunner>();
  private readonly jobsEveryMs: number;
  private readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`.slice(0, 64);
  private jobsTimer: NodeJS.Timeout | null = null;
  private jobsRun: Promise<unknown> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() config: AppConfig,
    @Optional() settings?: DeliveryWorkerSettings,
  ) {
    super();
    this.box = config.webhooks.secret_key ? new SecretBox(config.webhooks.secret_key) : null;
    this.allowPrivate = config.webhooks.allow_private;
    this.worker = new DeliveryWorker(dataSource, { ...settings?.options, box: this.box, allowPrivate: this.allowPrivate });
    this.mailer = new Mailer(config.email.smtp_url, config.email.from);
    this.jobs = new NotificationJobs(dataSource, (m, e, at) => this.enqueue(m, e, at), this.mailer, config.dashboard.public_url);
    this.jobsEveryMs = settings?.jobsEveryMs ?? 60_000;
    dataSource.subscribers.push(this);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
    if (this.jobsEveryMs > 0) {
      this.jobsTimer = setInterval(() => {
        if (!this.jobsRun) this.jobsRun = this.runJobs().finally(() => (this.jobsRun = null));
      }, this.jobsEveryMs);
      this.jobsTimer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.jobsTimer) clearInterval(this.jobsTimer);
    await this.jobsRun;
    await this.worker.stop();
    this.mailer.close();
  }

  /** The periodic notices, by the one instance holding their lease (kept for three periods without renewal). */
  async runJobs(now = new Date()): Promise<Awaited<ReturnType<NotificationJobs['run']>> | null> {
    try {
      if (!(await holdLease(this.dataSource, JOBS_LEASE, this.holder, now.getTime(), Math.max(3 * this.jobsEveryMs, 60_000)))) return null;
      return await this.jobs.run(now);
    } catch (err) {
      this.logger.warn(`notification jobs failed: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  kick(): void {
    this.worker.kick();
  }

  /** DomainEventSink: a user's event from another library (tokens). */
  async record(manager: EntityManager, event: DomainEvent, at: Date): Promise<void> {
    await this.enqueue(manager, event, at);
  }

  async enqueue(manager: EntityManager, event: OutboxEvent, at = new Date()): Promise<number> {
    const written = await enqueueWebhookEvent(manager, event, at);
    if (written > 0 && manager.queryRunner) this.wrote.add(manager.queryRunner);
    return written;
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (this.wrote.delete(event.queryRunner)) this.worker.kick();
  }
}
