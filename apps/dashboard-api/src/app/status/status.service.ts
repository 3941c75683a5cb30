import { BridgeBrowsersService, BridgeModelsService } from '@lmarena-bridge/bridge';
import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import type { BridgeStatus, DashboardStatus } from '@lmarena-bridge/contracts';
import { pingDatabase } from '@lmarena-bridge/database';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const PING_TIMEOUT_MS = 2000;
const PROXY_TIMEOUT_MS = 1000;

const round = (ms: number) => Math.round(ms * 1000) / 1000;

@Injectable()
export class StatusService {
  private readonly logger = new Logger(StatusService.name);
  private readonly started = Date.now();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly browsers: BridgeBrowsersService,
    private readonly models: BridgeModelsService,
  ) {}

  /** Pings the database and the proxy for real on every call; a failure or a slow answer reads "down". */
  async status(): Promise<DashboardStatus> {
    const [database, proxy, bridge] = await Promise.all([this.pingDatabase(), this.pingProxy(), this.bridgeCounts()]);
    return {
      status: database === null ? 'degraded' : 'ok',
      database: database === null ? 'down' : 'ok',
      database_latency_ms: database === null ? null : round(database),
      proxy: proxy === null ? 'down' : 'ok',
      proxy_latency_ms: proxy === null ? null : round(proxy),
      database_type: this.config.database.target.type,
      bridge,
      uptime_s: Math.floor((Date.now() - this.started) / 1000),
      version: '0.1.0',
    };
  }

  /** GET /healthz of the proxy this configuration describes (0.0.0.0 is asked on loopback). */
  private async pingProxy(): Promise<number | null> {
    const { host, port } = this.config.proxy;
    const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const started = process.hrtime.bigint();
    try {
      const res = await fetch(`http://${target}:${port}/healthz`, { signal: AbortSignal.timeout(PROXY_TIMEOUT_MS) });
      await res.arrayBuffer();
      return res.ok ? Number(process.hrtime.bigint() - started) / 1e6 : null;
    } catch {
      return null;
    }
  }

  /** Live browsers and reported models, two indexed counts; null when the database fails. */
  private async bridgeCounts(): Promise<BridgeStatus | null> {
    try {
      const [browsers, models] = await Promise.all([this.browsers.countLive(Date.now()), this.models.count()]);
      return { browsers, models };
    } catch (err) {
      this.logger.warn(`bridge counts failed: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  private async pingDatabase(): Promise<number | null> {
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
    return latency;
  }
}
