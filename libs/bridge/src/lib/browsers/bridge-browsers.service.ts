import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { BridgeBrowserEntity } from '../entities/bridge-browser.entity';
import type { BridgeBrowserState, BridgeBrowserView } from '../views';

/** A row not refreshed for this long belongs to a proxy that is gone. */
export const BRIDGE_BROWSER_STALE_MS = 30_000;
const MAX_ORIGIN_CHARS = 200;
const MAX_VERSION_CHARS = 50;
const MAX_ERROR_CHARS = 500;

/**
 * The browsers every proxy instance holds, mirrored to the database so the dashboard (another
 * process, maybe another host) can list them. The proxy refreshes its rows while the sockets live.
 */
@Injectable()
export class BridgeBrowsersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async upsert(state: BridgeBrowserState): Promise<void> {
    const row = Object.assign(new BridgeBrowserEntity(), {
      browserId: state.browserId,
      instanceId: state.instanceId,
      keyId: state.keyId,
      origin: state.origin.slice(0, MAX_ORIGIN_CHARS),
      version: state.version.slice(0, MAX_VERSION_CHARS),
      connectedAt: state.connectedAt,
      inFlight: state.inFlight,
      lastError: state.lastError === null ? null : state.lastError.slice(0, MAX_ERROR_CHARS),
      seenAt: state.seenAt,
    });
    await this.dataSource.getRepository(BridgeBrowserEntity).upsert(row, { conflictPaths: ['browserId'], skipUpdateIfNoValuesChanged: false });
  }

  async remove(browserId: string): Promise<void> {
    await this.dataSource.getRepository(BridgeBrowserEntity).delete({ browserId });
  }

  /** Drops every row of one proxy instance (its shutdown, or its start after a crash). */
  async removeInstance(instanceId: string): Promise<void> {
    await this.dataSource.getRepository(BridgeBrowserEntity).delete({ instanceId });
  }

  /** Browsers seen within staleMs of now, oldest connection first. */
  async listLive(now: number, staleMs = BRIDGE_BROWSER_STALE_MS): Promise<BridgeBrowserView[]> {
    const rows = await this.dataSource.getRepository(BridgeBrowserEntity).find({
      where: { seenAt: MoreThanOrEqual(now - staleMs) },
      order: { connectedAt: 'ASC', browserId: 'ASC' },
    });
    return rows.map((b) => ({
      browser_id: b.browserId,
      key_id: b.keyId,
      origin: b.origin,
      version: b.version,
      connected_at: new Date(b.connectedAt).toISOString(),
      in_flight: b.inFlight,
      last_error: b.lastError,
    }));
  }

  /** How many browsers are live (for /api/status), one indexed count. */
  countLive(now: number, staleMs = BRIDGE_BROWSER_STALE_MS): Promise<number> {
    return this.dataSource.getRepository(BridgeBrowserEntity).countBy({ seenAt: MoreThanOrEqual(now - staleMs) });
  }
}
