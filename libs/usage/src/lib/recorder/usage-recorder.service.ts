import { AppConfig, InjectConfig, UsageConfig } from '@lmarena-bridge/config';
import { databaseOutage, isDatabaseUnavailable } from '@lmarena-bridge/database';
import { storableCostUsd } from '../cost';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MAX_ERROR_MESSAGE, UsageRow } from './usage-row';
import { SpooledRow, SpoolSegment, UsageSpool } from './usage-spool';
import { createUsageWriter, UsageWriter } from './usage-writer';

/** Longest pause between two attempts while the database fails. */
export const MAX_RETRY_DELAY_MS = 2_000;
/** Longest a graceful stop waits for the database to take what memory holds (it is spooled anyway). */
export const SHUTDOWN_WRITE_LIMIT_MS = 3_000;
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
 * dropped, so one unstorable row would stop every later row from being written: no NUL characters, whole numbers within the integer columns,
 * strings within their column lengths, the error message cut to MAX_ERROR_MESSAGE, and the cost a finite number of whole nano-dollars.
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
    costUsd: storableCostUsd(row.costUsd),
    refused: row.refused === true,
    errorMessage,
  };
}

/** A cut of rows: appended to the spool (unless that failed) and waiting for the database. */
interface Batch {
  rows: SpooledRow[];
  segment: SpoolSegment | null;
  /** Dropped from memory by a spill: its rows are replayed from the spool instead. */
  spilled: boolean;
}

/**
 * The batched usage recorder: requests hand it a row and go on (`record()` never waits).
 *
 * Rows are cut into batches (at most `batch_size` rows, at most `flush_interval_ms` after the
 * first one waits); each cut is appended to the local spool (`usage.spool_dir`, one write, a
 * coalesced fdatasync) and only then written to the database, with its rollups and coalesced
 * last_used_at updates in one transaction. Each row carries a unique id, so writing a batch
 * again inserts nothing twice: a replay is exactly once whatever was committed before it.
 *
 * When a write fails, or more than `max_queue` rows wait, memory lets go of the batches (they
 * are on disk) and the recorder is degraded: new cuts go to the spool only, and the writer
 * retries with back-off by replaying the spool's files, oldest first, deleting each once it is
 * stored. At start it replays the segments a stopped or crashed process left. A graceful stop
 * cuts and syncs everything, gives the database a bounded moment, and leaves the rest spooled.
 */
@Injectable()
export class UsageRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageRecorder.name);
  private readonly settings: UsageConfig;
  private readonly writer: UsageWriter;
  private readonly spool: UsageSpool;
  private readonly uidPrefix = `${randomBytes(8).toString('hex')}-`;
  private uidSeq = 0;
  /** Rows not yet cut: the only ones a SIGKILL can lose. */
  private incoming: SpooledRow[] = [];
  private batches: Batch[] = [];
  private queued = 0;
  private degraded = false;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private retry: { timer: NodeJS.Timeout; done: Promise<void>; fire: () => void } | null = null;
  private failures = 0;
  private written = 0;
  private spooledOnly = 0;
  private lost = 0;

  constructor(@InjectDataSource() dataSource: DataSource, @InjectConfig() config: AppConfig) {
    this.settings = config.usage;
    this.writer = createUsageWriter(dataSource);
    this.spool = new UsageSpool(config.usage.spool_dir);
  }

  /** Rows not yet stored that this process knows of (in memory, or spilled to the spool). */
  get pending(): number {
    return this.incoming.length + this.queued + this.spooledOnly;
  }

  /** Rows inserted since start (replays included, duplicates skipped not counted). */
  get writtenRows(): number {
    return this.written;
  }

  /** True while rows go to the spool only (the database failed or fell behind). */
  get spilling(): boolean {
    return this.degraded;
  }

  /** fdatasync calls of the spool so far. */
  get spoolSyncs(): number {
    return this.spool.syncs;
  }

  /** Replays what an earlier process left in the spool (a crash, or a stop with the database down). */
  onApplicationBootstrap(): void {
    const adopted = this.spool.adoptLeftovers();
    if (adopted.length === 0) return;
    this.logger.log(`replaying ${adopted.length} usage spool file(s) left by an earlier run`);
    this.kick();
  }

  record(row: UsageRow): void {
    // Per process a random prefix and a zero-padded counter: ids sort in the order they are
    // made, so the unique index grows at its right edge instead of at random pages.
    this.incoming.push({ ...storable(row), uid: `${this.uidPrefix}${(this.uidSeq++).toString(36).padStart(10, '0')}` });
    if (this.incoming.length >= this.settings.batch_size) this.cut();
    else this.schedule();
  }

  /** Writes every waiting row (spooled ones too), retrying failures, and resolves when all are stored. */
  async flush(): Promise<void> {
    this.cut();
    // After a stop the rows stay in the spool for the next start.
    while (!this.stopping) {
      if (this.running) await this.running;
      else if (this.retry) await this.retry.done;
      else if (this.hasWork()) this.kick();
      else return;
    }
  }

  /**
   * Graceful stop: every row is cut and synced to the spool first; then the database gets a
   * bounded moment (SHUTDOWN_WRITE_LIMIT_MS) to take what memory holds. What it did not take
   * stays in the spool for the next start. Never waits for back-off or replays.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.cut();
    this.cancelRetry();
    await this.spool.sync();
    const inMemory = this.queued;
    if (inMemory > 0 && !this.degraded) {
      if (!this.running) this.kick();
      const running = this.running ?? Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WRITE_LIMIT_MS)))]);
      clearTimeout(timer);
    }
    this.cancelRetry();
    await this.spool.close();
    const left = this.queued + this.spooledOnly;
    if (left > 0 || this.spool.files.length > 0) {
      this.logger.warn(
        `stopped with usage rows not yet in the database (${left} this run, in ${this.spool.files.length} spool file(s) of ${this.spool.dir}); they are written at the next start`,
      );
    } else if (inMemory > 0) {
      this.logger.log(`flushed ${inMemory} usage rows before shutdown`);
    }
  }

  private hasWork(): boolean {
    return this.batches.length > 0 || this.degraded || this.spool.nextReplay() !== null;
  }

  private schedule(): void {
    if (this.timer) return;
    // The timer runs whatever the writer is doing: rows are on disk within flush_interval_ms.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.cut();
    }, this.settings.flush_interval_ms);
  }

  /** Moves every row not yet cut into batches on the spool (and, unless degraded, in memory). */
  private cut(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.incoming.length > 0) {
      const rows = this.incoming.splice(0, this.settings.batch_size);
      let segment: SpoolSegment | null = null;
      try {
        segment = this.spool.append(rows, this.degraded);
      } catch (err) {
        this.logger.error(
          `appending ${rows.length} usage rows to the spool in ${this.spool.dir} failed, keeping them in memory: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (segment && this.degraded) {
        this.spooledOnly += rows.length;
        continue;
      }
      this.batches.push({ rows, segment, spilled: false });
      this.queued += rows.length;
    }
    if (this.queued > this.settings.max_queue) this.spill(`${this.queued} rows wait, over usage.max_queue`);
    this.kick();
  }

  /** Memory lets go of every batch that is on disk; the writer replays the spool from now on. */
  private spill(why: string): void {
    if (!this.degraded) this.logger.warn(`usage rows go to the spool only until the database takes them again (${why})`);
    this.degraded = true;
    this.spool.spillAll();
    const kept: Batch[] = [];
    for (const batch of this.batches) {
      if (batch.segment) {
        batch.spilled = true;
        this.spooledOnly += batch.rows.length;
      } else kept.push(batch);
    }
    // Rows neither the spool nor the database took: memory is all there is, up to max_queue.
    let keptRows = kept.reduce((n, b) => n + b.rows.length, 0);
    while (keptRows > this.settings.max_queue && kept.length > 0) {
      const dropped = kept.shift() as Batch;
      keptRows -= dropped.rows.length;
      this.lost += dropped.rows.length;
      this.logger.error(`dropped ${dropped.rows.length} usage rows (${this.lost} so far): neither the database nor the spool takes them`);
    }
    this.batches = kept;
    this.queued = keptRows;
  }

  private kick(): void {
    if (this.running || this.retry || !this.hasWork()) return;
    this.running = this.run().finally(() => {
      this.running = null;
      if (!this.stopping) this.kick();
    });
  }

  /** The one writer: replays closed spool files, leaves the degraded state, writes batches in order. */
  private async run(): Promise<void> {
    for (;;) {
      const replay = this.stopping ? null : this.spool.nextReplay();
      if (replay) {
        if (!(await this.attempt(`replaying ${replay.name}`, () => this.replay(replay)))) return;
        continue;
      }
      if (this.degraded) {
        if (this.stopping) return;
        // Every closed file is stored; what the open one holds on disk only goes next.
        this.degraded = false;
        if (this.spool.activeNeedsReplay) this.spool.rotate();
        continue;
      }
      const batch = this.batches[0];
      if (!batch) return;
      if (!(await this.attempt(`writing ${batch.rows.length} usage rows`, () => this.writeBatch(batch)))) return;
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    this.written += await this.writer.write(batch.rows);
    if (batch.spilled) return; // a spill came meanwhile: the replay finds these rows stored
    this.batches.shift();
    this.queued -= batch.rows.length;
    if (batch.segment) this.spool.committed(batch.segment, batch.rows.length);
  }

  private async replay(segment: SpoolSegment): Promise<void> {
    const contents = await this.spool.read(segment);
    let inserted = 0;
    for (let i = 0; i < contents.rows.length; i += this.settings.batch_size) {
      inserted += await this.writer.write(contents.rows.slice(i, i + this.settings.batch_size));
    }
    this.written += inserted;
    this.spooledOnly = Math.max(0, this.spooledOnly - inserted);
    this.spool.replayed(segment);
    const notes = [contents.badLines ? `${contents.badLines} unreadable line(s) skipped` : '', contents.tornTail ? 'a torn last line ignored' : ''].filter(
      Boolean,
    );
    this.logger.log(
      `replayed ${segment.name}: ${inserted} of ${contents.rows.length} rows inserted (the others were already stored)${notes.length ? `; ${notes.join(', ')}` : ''}`,
    );
  }

  /** Runs one write; on failure spills, logs (once per outage) and arms the back-off. */
  private async attempt(what: string, write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
    } catch (err) {
      this.failures += 1;
      if (isDatabaseUnavailable(err)) databaseOutage.failed('usage recorder', err);
      else this.logger.error(`${what} failed (attempt ${this.failures}): ${err instanceof Error ? err.message : String(err)}`);
      this.spill(`a write failed`);
      if (!this.stopping) this.armRetry(Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** Math.min(this.failures, 10)));
      return false;
    }
    if (this.failures > 0) databaseOutage.recovered();
    this.failures = 0;
    return true;
  }

  private armRetry(delayMs: number): void {
    let fire!: () => void;
    const done = new Promise<void>((resolve) => (fire = resolve));
    const timer = setTimeout(() => {
      this.retry = null;
      fire();
      this.kick();
    }, delayMs);
    this.retry = { timer, done, fire };
  }

  private cancelRetry(): void {
    if (!this.retry) return;
    clearTimeout(this.retry.timer);
    this.retry.fire();
    this.retry = null;
  }
}
