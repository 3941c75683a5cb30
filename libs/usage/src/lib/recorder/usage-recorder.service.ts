import { AppConfig, InjectConfig, UsageConfig } from '@lmarena-bridge/config';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rollUp } from './rollup';
import { MAX_ERROR_MESSAGE, UsageRow } from './usage-row';
import { createUsageWriter, UsageWriter } from './usage-writer';

const MAX_RETRY_DELAY_MS = 5_000;
/** Largest value of the integer columns of usage_logs (PostgreSQL `integer`). */
const MAX_INT = 2_147_483_647;
/** Lengths of usage_logs.model and usage_logs.endpoint (varchar). */
const MAX_MODEL = 200;
const MAX_ENDPOINT = 100;

const storableInt = (value: number): number => (Number.isFinite(value) ? Math.min(MAX_INT, Math.max(0, Math.round(value))) : 0);
const storableCount = (value: number | null): number | null => (value === null || !Number.isFinite(value) ? null : storableInt(value));
// PostgreSQL text cannot hold NUL, and a client chooses the model name (and so the 404 message).
const storableText = (value: string, max = Infinity): string => value.replaceAll('\u0000', '').slice(0, max);

/**
 * The row as both databases can store it. A batch the database refuses is retried, never
 * dropped, so one unstorable row would stop every later row from being written (and, through
 * back-pressure, every request): no NUL characters, whole numbers within the integer columns,
 * strings within their column lengths, and the error message cut to MAX_ERROR_MESSAGE.
 */
function storable(row: UsageRow): UsageRow {
  let errorMessage = row.errorMessage === null ? null : storableText(row.errorMessage);
  if (errorMessage !== null && errorMessage.length > MAX_ERROR_MESSAGE) errorMessage = `${errorMessage.slice(0, MAX_ERROR_MESSAGE - 1)}…`;
  return {
    ...row,
    model: storableText(row.model, MAX_MODEL),
    endpoint: storableText(row.endpoint, MAX_ENDPOINT),
    responseTimeMs: storableInt(row.responseTimeMs),
    ttftMs: storableCount(row.ttftMs),
    promptTokens: storableCount(row.promptTokens),
    completionTokens: storableCount(row.completionTokens),
    errorMessage,
  };
}

/**
 * The batched usage recorder: requests hand it a row and go on; rows are written in batches
 * (at most `batch_size` rows, at most `flush_interval_ms` after the first one waits), each
 * batch with its rollups and coalesced last_used_at updates in one transaction.
 *
 * Nothing is dropped: a failed batch stays at the head of the queue and is retried with
 * back-off. Memory is bounded by back-pressure instead: once `max_queue` rows wait,
 * `waitForRoom()` holds new requests until a batch is written. Shutdown flushes everything.
 */
@Injectable()
export class UsageRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageRecorder.name);
  private readonly settings: UsageConfig;
  private readonly writer: UsageWriter;
  private queue: UsageRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private failures = 0;
  private roomWaiters: Array<() => void> = [];
  private written = 0;

  constructor(@InjectDataSource() dataSource: DataSource, @InjectConfig() config: AppConfig) {
    this.settings = config.usage;
    this.writer = createUsageWriter(dataSource);
  }

  /** Rows waiting in memory. */
  get pending(): number {
    return this.queue.length;
  }

  /** Rows written since start. */
  get writtenRows(): number {
    return this.written;
  }

  get full(): boolean {
    return this.queue.length >= this.settings.max_queue;
  }

  record(row: UsageRow): void {
    this.queue.push(storable(row));
    if (this.queue.length >= this.settings.batch_size) void this.pump(false);
    else this.schedule();
  }

  /** Resolves when the queue has room (immediately when it has). */
  waitForRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Writes every waiting row (retrying failures) and resolves when the queue is empty. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.queue.length > 0 || this.pumping) {
      await this.pump(true);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    const waiting = this.queue.length;
    await this.flush();
    if (waiting) this.logger.log(`flushed ${waiting} usage rows before shutdown`);
  }

  private schedule(): void {
    if (this.timer || this.pumping) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pump(true);
    }, this.settings.flush_interval_ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One writer at a time; `partial` also writes a batch smaller than batch_size. */
  private pump(partial: boolean): Promise<void> {
    if (this.pumping) return this.pumping;
    this.clearTimer();
    this.pumping = this.drain(partial).finally(() => {
      this.pumping = null;
      if (this.queue.length > 0) this.schedule();
    });
    return this.pumping;
  }

  private async drain(partial: boolean): Promise<void> {
    while (this.queue.length >= this.settings.batch_size || (partial && this.queue.length > 0)) {
      const batch = this.queue.slice(0, this.settings.batch_size);
      try {
        await this.writer.write(batch, rollUp(batch));
      } catch (err) {
        this.failures += 1;
        const delay = Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** Math.min(this.failures, 10));
        this.logger.error(`writing ${batch.length} usage rows failed (attempt ${this.failures}, retrying in ${delay} ms): ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      this.failures = 0;
      this.queue.splice(0, batch.length);
      this.written += batch.length;
      this.releaseWaiters();
    }
  }

  private releaseWaiters(): void {
    while (this.roomWaiters.length > 0 && !this.full) this.roomWaiters.shift()?.();
  }
}
