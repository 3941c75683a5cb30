import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DAY_MS } from '../recorder/usage-row';
import { SqlParams } from './sql';

/** Rows deleted per statement: each is a short transaction that never holds the database long. */
export const RETENTION_BATCH = 5_000;
/** How often the job runs; the first run comes RETENTION_FIRST_RUN_MS after start-up. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
export const RETENTION_FIRST_RUN_MS = 60 * 1000;

/**
 * Deletes raw usage rows older than `usage.retention_days`, in batches of RETENTION_BATCH,
 * yielding to other work between batches. The rollups are never touched, so summaries of
 * old days stay as they were. Started when the dashboard boots, stopped (between two
 * batches) when it shuts down; several instances running it at once only share the work.
 */
@Injectable()
export class UsageRetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageRetentionService.name);
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<number> | null = null;
  private stopping = false;

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
    const runner = this.dataSource.createQueryRunner();
    try {
      while (!this.stopping) {
        const p = SqlParams.for(this.dataSource);
        const sql = `DELETE FROM usage_logs WHERE id IN (SELECT id FROM usage_logs WHERE created_at < ${p.add(cutoff)} LIMIT ${p.add(RETENTION_BATCH)})`;
        const result = await runner.query(sql, p.values, true);
        const affected = Number(result.affected ?? 0);
        deleted += affected;
        if (affected < RETENTION_BATCH) break;
        // Let waiting requests (and, on SQLite, the recorder's writes) go between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await runner.release();
    }
    if (deleted > 0) this.logger.log(`deleted ${deleted} usage rows created before ${new Date(cutoff).toISOString()}`);
    return deleted;
  }
}
