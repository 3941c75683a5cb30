import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DAY_MS } from '../recorder/usage-row';
import { SqlParams } from './sql';

/**
 * How retention paces its deletes. On SQLite each DELETE holds the database's one write lock
 * for as long as it runs, and the proxy's usage writer (another process) waits for it; how
 * long a row takes to delete depends on the disk, the indexes and any triggers on usage_logs.
 * So the batch size is not fixed: each step is sized from how long the last one took to stay
 * within `stepBudgetMs` (see nextRetentionBatch), and after each step the job pauses at least
 * `minPauseMs` (and as long as the step took), so a waiting writer always gets the lock.
 * SQLite's busy handler retries a waiting writer after 1, 2, 5, 10, 15, 20, 25, 25 … ms: a free
 * window of 25 ms or more cannot fall between two of its retries.
 */
export interface RetentionPacing {
  firstBatch: number;
  minBatch: number;
  maxBatch: number;
  stepBudgetMs: number;
  minPauseMs: number;
}

export const RETENTION_PACING: Readonly<RetentionPacing> = { firstBatch: 100, minBatch: 20, maxBatch: 5_000, stepBudgetMs: 25, minPauseMs: 25 };

/** Kept for callers that want the largest step: no statement deletes more rows than this. */
export const RETENTION_BATCH = RETENTION_PACING.maxBatch;

/**
 * The next step's size. A step costs a fixed part and a part per row: on SQLite, when the
 * proxy's writer (another process) committed in between, the step starts with a cold page
 * cache and pays ~10 ms before its first row (measured: 36-row steps took 10 ms, 5,000-row
 * ones 77 ms). Sizing from rows per millisecond would count that fixed part as per-row cost
 * and shrink the steps until they are all fixed part (it did: 800 rows/s). So: double while a
 * step takes at most half the budget, shrink in proportion when it took longer than the
 * budget, keep the size in between; always within the bounds.
 */
export function nextRetentionBatch(pacing: RetentionPacing, size: number, deleted: number, elapsedMs: number): number {
  if (deleted < 1) return size;
  if (elapsedMs > pacing.stepBudgetMs) return Math.max(pacing.minBatch, Math.floor((size * pacing.stepBudgetMs) / elapsedMs));
  if (elapsedMs <= pacing.stepBudgetMs / 2) return Math.min(pacing.maxBatch, size * 2);
  return size;
}

/** How often the job runs; the first run comes RETENTION_FIRST_RUN_MS after start-up. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
export const RETENTION_FIRST_RUN_MS = 60 * 1000;

/**
 * Deletes raw usage rows older than `usage.retention_days`, in short steps paced as
 * RetentionPacing says, pausing between them so other writers get the database. The rollups are never touched, so summaries of
 * old days stay as they were. Started when the dashboard boots, stopped (between two
 * batches) when it shuts down; several instances running it at once only share the work.
 */
@Injectable()
export class UsageRetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageRetentionService.name);
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<number> | null = null;
  private stopping = false;
  /** Tests and tools may tune it; production uses the defaults. */
  pacing: RetentionPacing = { ...RETENTION_PACING };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.stopping = false;
    const tick = () =>
      void this.runRetentionOnce().catch((err: unknown) => {
        this.logger.error(`usage retention failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    // unref: the job never keeps the process alive by itself.
    this.timers = [setTimeout(tick, RETENTION_FIRST_RUN_MS).unref(), setInterval(tick, RETENTION_INTERVAL_MS).unref()];
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    await this.running?.catch(() => undefined);
  }

  /**
   * One pass: deletes every raw row created before `now - retention_days` and resolves with
   * how many went. A call while a pass is running joins that pass.
   */
  runRetentionOnce(now: number = Date.now()): Promise<number> {
    this.running ??= this.deleteOlderThan(now - this.config.usage.retention_days * DAY_MS).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async deleteOlderThan(cutoff: number): Promise<number> {
    let deleted = 0;
    let size = this.pacing.firstBatch;
    const runner = this.dataSource.createQueryRunner();
    try {
      while (!this.stopping) {
        const p = SqlParams.for(this.dataSource);
        const sql = `DELETE FROM usage_logs WHERE id IN (SELECT id FROM usage_logs WHERE created_at < ${p.add(cutoff)} LIMIT ${p.add(size)})`;
        const started = performance.now();
        const result = await runner.query(sql, p.values, true);
        const elapsedMs = performance.now() - started;
        const affected = Number(result.affected ?? 0);
        deleted += affected;
        if (affected < size) break;
        size = nextRetentionBatch(this.pacing, size, affected, elapsedMs);
        // Let waiting writers (on SQLite, the proxy's usage writer) and requests have the database.
        await new Promise((resolve) => setTimeout(resolve, Math.max(this.pacing.minPauseMs, elapsedMs)));
      }
    } finally {
      await runner.release();
    }
    if (deleted > 0) this.logger.log(`deleted ${deleted} usage rows created before ${new Date(cutoff).toISOString()}`);
    return deleted;
  }
}
