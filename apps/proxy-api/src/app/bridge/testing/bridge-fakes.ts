import type { AppConfig } from '@lmarena-bridge/config';
import type { SiteModel } from '../../providers/lmarena/bridge-transport';
import type { BridgeSocket } from '../bridge-browser';
import type { BridgeKeyStore, BridgeModelStore, BrowserStateRow, BrowserStateStore } from '../bridge-stores';
import type { BridgeTimings } from '../bridge-timings';

/** Spec helpers: fakes of the database ports and of a socket, tiny clocks. */

export function bridgeConfig(bridge: Partial<AppConfig['bridge']> = {}): AppConfig {
  return {
    bridge: {
      secret: 'shared-secret',
      allowed_origins: ['https://arena.ai'],
      timeout_seconds: 5,
      max_in_flight_per_browser: 2,
      public_url: '',
      ...bridge,
    },
  } as AppConfig;
}

export const FAST_TIMINGS: BridgeTimings = {
  helloMs: 200,
  pingMs: 20,
  silenceMs: 60_000,
  heartbeatMs: 60_000,
  stateCoalesceMs: 5,
  epochPollMs: 10,
};

export class FakeKeys implements BridgeKeyStore {
  readonly keys = new Map<string, { id: number; name: string }>();
  readonly revoked = new Set<number>();
  readonly touched: number[] = [];
  failing = false;

  add(secret: string, id: number): void {
    this.keys.set(secret, { id, name: `key ${id}` });
  }

  async verify(secret: string) {
    if (this.failing) throw new Error('database down');
    const key = this.keys.get(secret);
    return key && !this.revoked.has(key.id) ? key : null;
  }

  async activeIds(ids: number[]) {
    if (this.failing) throw new Error('database down');
    return new Set(ids.filter((id) => !this.revoked.has(id)));
  }

  async touch(id: number) {
    this.touched.push(id);
  }
}

export class FakeModels implements BridgeModelStore {
  readonly saved: SiteModel[][] = [];
  failing = false;

  async saveReported(models: SiteModel[]) {
    if (this.failing) throw new Error('database down');
    this.saved.push(models);
  }
}

export class FakeStates implements BrowserStateStore {
  readonly rows = new Map<string, BrowserStateRow>();
  readonly writes: string[] = [];
  failing = false;

  async upsert(row: BrowserStateRow) {
    this.writes.push(`upsert ${row.browserId} ${row.inFlight}`);
    if (this.failing) throw new Error('database down');
    this.rows.set(row.browserId, row);
  }

  async remove(id: string) {
    this.writes.push(`remove ${id}`);
    if (this.failing) throw new Error('database down');
    this.rows.delete(id);
  }

  async removeInstance(instanceId: string) {
    this.writes.push(`removeInstance ${instanceId}`);
    for (const [id, row] of this.rows) if (row.instanceId === instanceId) this.rows.delete(id);
  }
}

export class FakeSocket implements BridgeSocket {
  readyState = 1;
  readonly sent: Array<Record<string, unknown>> = [];
  closed: { code: number; reason?: string } | null = null;
  terminated = false;
  paused = false;

  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }

  close(code: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 3;
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** The payload frames (requests) this socket was sent. */
  requests(): Array<{ request_id: string; payload: Record<string, unknown> }> {
    return this.sent.filter((f) => 'payload' in f) as Array<{
      request_id: string;
      payload: Record<string, unknown>;
    }>;
  }
}

/** Resolves once `check` is true; checks after each turn of the event loop (bounded). */
export async function until(check: () => boolean, what = 'condition', limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
