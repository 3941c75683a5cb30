import type { SiteModel } from '../providers/lmarena/bridge-transport';

/**
 * What the hub needs from the database, as the services of `@lmarena-bridge/bridge` provide
 * it (bridge.module.ts binds these tokens to them). Ports rather than the classes so the
 * specs give fakes and the hub never depends on how the rows are stored.
 */
export interface BridgeKeyStore {
  /** The bridge key with this secret, if it exists and is not revoked. */
  verify(secret: string): Promise<{ id: number; name: string } | null>;
  /** Which of these key ids are still active (not revoked, not deleted). */
  activeIds(ids: number[]): Promise<Set<number>>;
  /** Notes that the key was used now (last_used_at). */
  touch(id: number, at: number): Promise<unknown>;
}

export interface BridgeModelStore {
  saveReported(models: SiteModel[], at: number): Promise<unknown>;
}

/** One connected browser as the dashboard shows it. */
export interface BrowserStateRow {
  browserId: string;
  /** The proxy process holding the socket (rows of a stopped process are removed by it). */
  instanceId: string;
  /** The bridge key it authenticated with; null for the configured shared secret. */
  keyId: number | null;
  origin: string;
  version: string;
  connectedAt: number;
  inFlight: number;
  lastError: string | null;
  seenAt: number;
}

export interface BrowserStateStore {
  upsert(row: BrowserStateRow): Promise<unknown>;
  remove(browserId: string): Promise<unknown>;
  removeInstance(instanceId: string): Promise<unknown>;
}

/** The auth epoch (libs/auth): it moves whenever a token or bridge key is revoked. */
export type AuthEpochReader = () => Promise<number>;

export const BRIDGE_KEY_STORE = Symbol('BRIDGE_KEY_STORE');
export const BRIDGE_MODEL_STORE = Symbol('BRIDGE_MODEL_STORE');
export const BROWSER_STATE_STORE = Symbol('BROWSER_STATE_STORE');
export const AUTH_EPOCH_READER = Symbol('AUTH_EPOCH_READER');
