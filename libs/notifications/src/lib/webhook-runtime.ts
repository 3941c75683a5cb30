import { DomainEvent, DomainEventSink } from '@lmarena-bridge/auth';
import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';
import { DeliveryWorker, DeliveryWorkerOptions } from './delivery-worker';
import { enqueueWebhookEvent, OutboxEvent } from './outbox';
import { SecretBox } from './secret-box';

/** Overrides of the worker's timing (tests: short backoff, a clock). */
export abstract class DeliveryWorkerSettings {
  abstract readonly options: Partial<Omit<DeliveryWorkerOptions, 'box' | 'allowPrivate'>>;
}

/**
 * The running side of the webhooks in one dashboard: the secret box from the server key, the
 * delivery worker (started with the app, stopped before the database closes), and the outbox
 * writer that services call inside their transactions. A transaction that wrote outbox rows
 * wakes the worker right after it commits (a TypeORM subscriber), so delivery does not wait
 * for the next poll; the poll is there for the rows of other instances and for retries.
 */
@Injectable()
export class WebhookRuntime extends DomainEventSink implements OnApplicationBootstrap, OnApplicationShutdown, EntitySubscriberInterface {
  readonly box: SecretBox | null;
  readonly allowPrivate: boolean;
  readonly worker: DeliveryWorker;
  private readonly wrote = new WeakSet<QueryRunner>();

  constructor(@InjectDataSource() dataSource: DataSource, @InjectConfig() config: AppConfig, @Optional() settings?: DeliveryWorkerSettings) {
    super();
    this.box = config.webhooks.secret_key ? new SecretBox(config.webhooks.secret_key) : null;
    this.allowPrivate = config.webhooks.allow_private;
    this.worker = new DeliveryWorker(dataSource, { ...settings?.options, box: this.box, allowPrivate: this.allowPrivate });
    dataSource.subscribers.push(this);
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop();
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
