/** One finished request, as the proxy hands it to the recorder. */
export interface UsageRow {
  /** Epoch ms when the request arrived. */
  createdAt: number;
  userId: number;
  tokenId: number;
  model: string;
  endpoint: string;
  stream: boolean;
  statusCode: number;
  responseTimeMs: number;
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  errorMessage: string | null;
  /** True when the token counts were estimated by the proxy, not reported by the upstream; absent: false. */
  usageEstimated?: boolean;
  /**
   * What the request cost in USD, rounded to the nano-dollar (see cost.ts); null: the model
   * has no price or the request no token counts. Absent (spool lines written before prices): null.
   */
  costUsd?: number | null;
  /**
   * The limits refused the request (it never reached the upstream). Still a row like any 4xx,
   * but not counted against the token's daily request quota. Absent: false.
   */
  refused?: boolean;
}

export const MAX_ERROR_MESSAGE = 1000;
export const DAY_MS = 86_400_000;

/** UTC day number (days since 1970-01-01) of an epoch-ms instant. */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/**
 * The UTC day number of the first day of the month holding `day`: the key of the monthly
 * rollups, a day number itself so it compares with the daily ones.
 */
export function utcMonth(day: number): number {
  const date = new Date(day * DAY_MS);
  return utcDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

/** The UTC day number of the first day of the month after the one holding `day`. */
export function nextUtcMonth(day: number): number {
  const date = new Date(day * DAY_MS);
  return utcDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

/** 2xx is a success; everything else (4xx, 5xx, 499 client gone, …) an error. */
export function isSuccessStatus(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}
