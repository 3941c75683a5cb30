import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import type { DashboardStatus } from '@lmarena-bridge/contracts';
import { pingDatabase } from '@lmarena-bridge/database';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class StatusService {
  private readonly logger = new Logger(StatusService.name);
  private readonly started = Date.now();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Pings the database for real on every call; a failure or a slow answer reads "down". */
  async status(): Promise<DashboardStatus> {
    let latency: number | null = null;
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      });
      latency = await Promise.race([pingDatabase(this.dataSource), timeout]).finally(() => clearTimeout(timer));
    } catch (err) {
      this.logger.warn(`database ping failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return {
      status: latency === null ? 'degraded' : 'ok',
      database: latency === null ? 'down' : 'ok',
      database_latency_ms: latency === null ? null : Math.round(latency * 1000) / 1000,
      database_type: this.config.database.target.type,
      uptime_s: Math.floor((Date.now() - this.started) / 1000),
      version: '0.1.0',
    };
  }
}
