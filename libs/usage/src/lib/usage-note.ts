import type { ModelPrice } from '@lmarena-bridge/config';
import type { IncomingMessage } from 'node:http';
import { requestCostUsd } from './cost';
import type { UsageRow } from './recorder/usage-row';

/** Who a request is billed to: dashboard tokens only (the shared api_key and an open proxy are not recorded). */
export interface UsageOwner {
  tokenId: number;
  userId: number;
}

/** Status recorded for a request whose client went away before the answer ended (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/** How a response ended, as the record step reads it from Node's response. */
export interface ResponseOutcome {
  /** The status line sent (or about to be sent). */
  httpStatus: number;
  /** False when the client left before the answer ended. */
  finished: boolean;
}

/**
 * What the proxy learns about one request while serving it. Created by the pipeline when the
 * request arrives and handed explicitly to each step that has something to note (the owner
 * after authentication, the model from the body, the token counts from the answer); the
 * record step turns it into a usage row when the response is over.
 */
export class UsageNote {
  /** Set by the authenticate step for a dashboard token; null: nothing is recorded. */
  owner: UsageOwner | null = null;
  model = '';
  stream = false;
  promptTokens: number | null = null;
  completionTokens: number | null = null;
  /** The counts were estimated by the proxy (a tokenizer), not reported by the upstream. */
  usageEstimated = false;
  ttftMs: number | null = null;
  /** Milliseconds the provider took to begin its answer (metrics only; not a usage column). */
  upstreamMs: number | null = null;
  /** The outcome to record when it differs from the HTTP status (an error inside a 200 stream). */
  statusCode: number | null = null;
  errorMessage: string | null = null;
  /** Set by the resolve step from the model's route; null: the model has no price (no cost recorded). */
  price: ModelPrice | null = null;
  /** Set by the policy step when the limits refuse the request. */
  refused = false;
  /** Epoch ms when the request arrived. */
  readonly createdAt: number;
  private readonly started: bigint;

  constructor(
    /** The path the row names: the URL without its query string. */
    readonly endpoint: string,
    now = Date.now(),
    started = process.hrtime.bigint(),
  ) {
    this.createdAt = now;
    this.started = started;
  }

  /** Milliseconds since the request arrived (fractional). */
  elapsedMs(now = process.hrtime.bigint()): number {
    return Number(now - this.started) / 1e6;
  }

  /** The usage row of a finished (or abandoned) response; null when the request has no owner. */
  toRow(outcome: ResponseOutcome, now = process.hrtime.bigint()): UsageRow | null {
    if (!this.owner) return null;
    const { finished } = outcome;
    return {
      createdAt: this.createdAt,
      userId: this.owner.userId,
      tokenId: this.owner.tokenId,
      model: this.model,
      endpoint: this.endpoint,
      stream: this.stream,
      statusCode: finished ? (this.statusCode ?? outcome.httpStatus) : CLIENT_CLOSED_REQUEST,
      // Sub-millisecond answers count as 1 ms: a recorded request always took some time.
      responseTimeMs: Math.max(1, Math.round(this.elapsedMs(now))),
      ttftMs: this.ttftMs,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      usageEstimated: this.usageEstimated,
      // Charged from the counts the answer reported (or the proxy estimated), at the route's price.
      costUsd: requestCostUsd(this.price, this.promptTokens, this.completionTokens),
      refused: this.refused,
      errorMessage: finished ? this.errorMessage : (this.errorMessage ?? 'client closed the connection before the answer ended'),
    };
  }
}

/**
 * The path a usage row names: the URL without its query string. Works on Node's request as
 * on Express's (the proxy's fast path answers below Express, see front-door.ts).
 */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
