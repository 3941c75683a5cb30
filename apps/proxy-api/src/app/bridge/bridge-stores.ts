import type { BridgeBrowserState } from '@lmarena-bridge/bridge';
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

/** One connected browser as the dashboard shows it: the bridge library's row. */
export type BrowserStateRow = BridgeBrowserState;

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
