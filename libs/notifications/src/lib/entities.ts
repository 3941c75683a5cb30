import { bigintNumber, epochMs } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A user's subscription. `secret` is sealed (secret-box.ts), never the plain signing secret. */
@Entity('webhooks')
export class WebhookEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /** JSON array of event types. */
  @Column({ type: 'text' })
  events!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 200 })
  secret!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}

export type OutboxState = 'pending' | 'delivered' | 'failed';

/** One event for one webhook, written in the transaction of the change it describes. */
@Entity('webhook_outbox')
export class WebhookOutboxEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'delivery_id', type: 'varchar', length: 36 })
  deliveryId!: string;

  @Column({ name: 'webhook_id', type: 'integer' })
  webhookId!: number;

  @Column({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  /** The exact JSON sent; every attempt signs these bytes. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: OutboxState;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs })
  nextAttemptAt!: Date;

  @Column({ name: 'finished_at', type: 'bigint', transformer: epochMs, nullable: true })
  finishedAt!: Date | null;
}

/** One attempt. */
@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'outbox_id', type: 'integer' })
  outboxId!: number;

  @Column({ name: 'webhook_id', type: 'integer' })
  webhookId!: number;

  @Column({ name: 'delivery_id', type: 'varchar', length: 36 })
  deliveryId!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs!: number;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error!: string | null;

  @Column({ name: 'response_body', type: 'varchar', length: 1024, nullable: true })
  responseBody!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}

/** Who runs a periodic job now, and until when. */
@Entity('webhook_lease')
export class WebhookLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  holder!: string;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: Date;
}

/** A notice already given (see the migration). */
@Entity('notification_marks')
export class NotificationMarkEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  key!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: Date;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  value!: number;

  @Column({ type: 'integer', default: 0 })
  period!: number;
}

export type ReportPreference = 'off' | 'daily' | 'weekly';

@Entity('notification_prefs')
export class NotificationPrefsEntity {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 8 })
  report!: ReportPreference;
}

export const notificationEntities = [
  WebhookEntity,
  WebhookOutboxEntity,
  WebhookDeliveryEntity,
  WebhookLeaseEntity,
  NotificationMarkEntity,
  NotificationPrefsEntity,
];
