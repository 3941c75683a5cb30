/**
 * The hub's clocks, injectable so specs run in milliseconds instead of the protocol's
 * seconds. Defaults are the protocol's figures (docs/lmarena.md, "Our bridge protocol").
 */
export interface BridgeTimings {
  /** A socket must send its hello this soon after the upgrade, else 4401. */
  helloMs: number;
  /** `{"type":"ping"}` to every browser this often. */
  pingMs: number;
  /** A browser that sent no frame for this long is dropped. */
  silenceMs: number;
  /** Browser state rows are rewritten this often even when nothing changed (seen_at). */
  heartbeatMs: number;
  /** In-flight / last-error changes are written at most this often. */
  stateCoalesceMs: number;
  /** The auth epoch is read this often while key-authenticated browsers are connected. */
  epochPollMs: number;
}

export const BRIDGE_TIMINGS = Symbol('BRIDGE_TIMINGS');

export const DEFAULT_BRIDGE_TIMINGS: Readonly<BridgeTimings> = {
  helloMs: 5_000,
  pingMs: 20_000,
  silenceMs: 60_000,
  heartbeatMs: 10_000,
  stateCoalesceMs: 1_000,
  // With the read itself, a revoked key's browsers are closed within 1 s.
  epochPollMs: 250,
};
