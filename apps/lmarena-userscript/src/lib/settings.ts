/**
 * The two values an admin's download fills in. The dashboard replaces each placeholder
 * literal below with `JSON.stringify(value)`, so each must stay a plain string
 * literal that appears exactly once in the built file (esbuild prints it double-quoted;
 * build.mjs checks that each occurs once).
 */
const PROXY_URL_SLOT = '__LMB_PROXY_URL__';
const BRIDGE_KEY_SLOT = '__LMB_BRIDGE_KEY__';

export const DEFAULT_PROXY_URL = 'ws://127.0.0.1:5102/ws';

export interface BridgeSettings {
  proxyUrl: string;
  /** null when the script was built without a key (not downloaded from the dashboard). */
  bridgeKey: string | null;
}

/** A slot still holding its placeholder (or left empty) counts as not filled in. */
function filled(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' || /^__LMB_[A-Z_]+__$/.test(trimmed) ? null : trimmed;
}

export function resolveSettings(proxyUrl: string = PROXY_URL_SLOT, bridgeKey: string = BRIDGE_KEY_SLOT): BridgeSettings {
  return { proxyUrl: filled(proxyUrl) ?? DEFAULT_PROXY_URL, bridgeKey: filled(bridgeKey) };
}
