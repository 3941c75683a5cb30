import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Injectable } from '@nestjs/common';
import bodyParser from 'body-parser';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../errors/proxy-error';
import { BodyBudget } from './body-budget';
import { BodyMiddleware, jsonBodyReader } from './json-body-reader';

const MIB = 1024 * 1024;

/** A read body and its share of the in-flight budget, released when the exchange ends. */
export interface BodyLease {
  body: unknown;
  /** Gives the body's bytes back to the budget; safe to call more than once. */
  release(): void;
}

/**
 * Step 3: the JSON body of an authenticated request, within two bounds — `proxy.max_body_mb`
 * per request (413) and `proxy.max_inflight_body_mb` for all bodies read or held at once
 * (503: parallel uploads cannot exhaust the proxy's memory).
 *
 * A body's share is its Content-Length when it is sent as is; a chunked or compressed body
 * takes the per-request limit, since that is what it may grow to. Reading: jsonBodyReader (body-parser's result,
 * faster for plain UTF-8 bodies; body-parser itself for the rest). Any content type is read as
 * JSON: OpenAI clients always send JSON, and a wrong header should not turn a valid body
 * into "missing model".
 */
@Injectable()
export class ReadBodyStep {
  readonly budget: BodyBudget;
  private readonly limit: number;
  private readonly readJson: BodyMiddleware;

  constructor(@InjectConfig() config: AppConfig) {
    this.limit = config.proxy.max_body_bytes;
    this.budget = new BodyBudget(config.proxy.max_inflight_body_bytes);
    this.readJson = jsonBodyReader(this.limit, bodyParser.json({ limit: this.limit, type: () => true }) as BodyMiddleware);
  }

  async read(req: IncomingMessage, res: ServerResponse): Promise<BodyLease> {
    const share = this.share(req);
    if (!this.budget.tryReserve(share)) {
      throw new ProxyError(
        503,
        'server_error',
        'service_unavailable',
        `The proxy is busy: the request bodies in flight reach proxy.max_inflight_body_mb (${Math.round(this.budget.limit / MIB)} MiB). Retry shortly.`,
        null,
        { 'Retry-After': '1' },
      );
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.budget.release(share);
    };
    try {
      await new Promise<void>((resolve, reject) => this.readJson(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    } catch (err) {
      release();
      throw err;
    }
    return { body: (req as IncomingMessage & { body?: unknown }).body, release };
  }

  /** The bytes this body may occupy in memory. */
  private share(req: IncomingMessage): number {
    const headers = req.headers;
    if (headers['transfer-encoding'] !== undefined || headers['content-length'] === undefined) return this.limit;
    const length = Number(headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0) return this.limit; // the reader refuses it
    // Refused by the reader before it buffers anything (body-parser discards the upload, then
    // answers 413 on a connection the client can keep using).
    if (length > this.limit) return 0;
    const encoding = headers['content-encoding'];
    return encoding === undefined || encoding.toLowerCase() === 'identity' ? length : this.limit;
  }
}
