import type { BridgeBrowser, BridgeKey, BridgeModel } from '@lmarena-bridge/contracts';

/** A bridge key as the dashboard lists it (the contract's shape). */
export type BridgeKeyView = BridgeKey;
/** A reported site model as the dashboard lists it. */
export type BridgeModelView = BridgeModel;
/** A live browser as the dashboard lists it. */
export type BridgeBrowserView = BridgeBrowser;

/** What a proxy instance knows of one of its sockets, mirrored to the database. */
export interface BridgeBrowserState {
  browserId: string;
  /** The proxy process holding the socket (removeInstance drops them all at shutdown). */
  instanceId: string;
  keyId: number | null;
  origin: string;
  version: string;
  /** Epoch ms. */
  connectedAt: number;
  inFlight: number;
  lastError: string | null;
  /** Epoch ms of the last refresh by the proxy; listLive trusts only recent ones. */
  seenAt: number;
}
