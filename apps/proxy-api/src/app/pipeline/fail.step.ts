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
 * not read at all: the answer says `Connection: close` and Node closes the socket once it is
 * sent, which stops the client's upload.
 */
export const DISCARDABLE_BODY_BYTES = 64 * 1024;

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
    if (!res.headersSent && largeUploadPending(req)) res.setHeader('connection', 'close');
    let error: ProxyError | null;
    try {
      error = this.filter.answer(err, req, res, shape);
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
