import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorShape } from '../endpoints/endpoint';
import { OPENAI_ERRORS } from '../endpoints/openai-errors';
import { OpenAiExceptionFilter } from '../errors/openai-exception.filter';
import { ProxyError } from '../errors/proxy-error';
import { endJson } from '../http/end-json';

/**
 * Up to this much of a refused request's body is left for Node to discard, keeping the
 * connection for the client's next request; a bigger (or chunked) upload still on its way is
 * not read at all (answerAndClose).
 */
export const DISCARDABLE_BODY_BYTES = 64 * 1024;

/** How long the connection of a refused upload stays open after the answer, at most. */
export const LINGER_MS = 1000;

/**
 * Answers a request whose upload is still on its way without reading it: the whole answer
 * (with Content-Length and `Connection: close`) is written but the response is not ended, so
 * Node neither reads the rest of the body to discard it nor closes the socket at once —
 * closing with the upload unread makes the kernel send a reset, which can reach the client
 * before it has read the answer (measured: 16 of 60 clients uploading 19 MiB got EPIPE and no
 * answer). The unread body stays in the socket buffers, which stop the client's upload; the
 * client closes on `Connection: close`, and the socket is destroyed after LINGER_MS anyway.
 */
function answerAndClose(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.setHeader('connection', 'close');
  res.write(text);
  const linger = setTimeout(() => res.destroy(), LINGER_MS);
  linger.unref();
  res.once('close', () => clearTimeout(linger));
}

/** True when the request's body has not fully arrived and is more than Node should discard. */
function largeUploadPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const declared = req.headers['content-length'];
  if (declared === undefined) return req.headers['transfer-encoding'] !== undefined;
  return !(Number(declared) <= DISCARDABLE_BODY_BYTES);
}

/**
 * Any step's error as the answer (OpenAiExceptionFilter: the contract's shapes and codes),
 * noted for the usage record: the message, and the status of a stream that had already
 * started with 200.
 */
@Injectable()
export class FailStep {
  constructor(private readonly filter: OpenAiExceptionFilter) {}

  run(err: unknown, req: IncomingMessage, res: ServerResponse, note: UsageNote, shape: ErrorShape = OPENAI_ERRORS): void {
    const midStream = res.headersSent && !res.writableEnded && !res.destroyed;
    const end = !res.headersSent && largeUploadPending(req) ? answerAndClose : endJson;
    let error: ProxyError | null;
    try {
      error = this.filter.answer(err, req, res, end, shape);
    } catch {
      error = new ProxyError(500, 'server_error', 'internal_error', 'The proxy failed to handle this request.');
      if (!res.headersSent && !res.destroyed) endJson(res, 500, shape.body(error));
      else res.destroy();
    }
    if (!error) return;
    note.errorMessage = error.message;
    if (midStream) note.statusCode = error.status;
  }
}
