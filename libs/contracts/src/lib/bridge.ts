/** A browser connected to the LMArena bridge (`/ws` on a proxy), as the dashboard lists it. */
export interface BridgeBrowser {
  browser_id: string;
  /** The bridge key it authenticated with; null for the configured shared `bridge.secret`. */
  key_id: number | null;
  origin: string;
  /** The userscript's version from its hello. */
  version: string;
  connected_at: string;
  in_flight: number;
  last_error: string | null;
}

/** A bridge key as listed: the secret is never part of it (it exists only in the download). */
export interface BridgeKey {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A model the userscripts reported from the site's list (`id` is the site's model uuid). */
export interface BridgeModel {
  id: string;
  public_name: string | null;
  organization: string | null;
  /** The site's `{inputCapabilities, outputCapabilities}` object, as reported. */
  capabilities: unknown;
  reported_at: string;
}

/** GET /api/bridge. */
export interface BridgeState {
  browsers: BridgeBrowser[];
  keys: BridgeKey[];
  models: BridgeModel[];
}

/** POST /api/bridge/userscript: the name of the new bridge key. */
export interface NewBridgeUserscript {
  name: string;
}

/** The bridge part of GET /api/status: counts read from the database. */
export interface BridgeStatus {
  /** Browsers seen by a proxy within the last 30 s. */
  browsers: number;
  /** Models the userscripts have reported. */
  models: number;
}
