import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { DATABASE_UNAVAILABLE_MESSAGE, databaseOutage, isDatabaseUnavailable } from '@lmarena-bridge/database';
import { requestPath } from '@lmarena-bridge/usage';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorShape } from '../endpoints/endpoint';
import { OPENAI_ERRORS } from '../endpoints/openai-errors';
import { endJson } from '../http/end-json';
import { bodyParserError } from './body-parser-error';
import { ProxyError } from './proxy-error';

/**
 * The one place errors become answers: every non-2xx of the proxy in the OpenAI shape, with
 * the contract's codes (body-parser failures, oversize bodies, unknown routes included).
 * Nest calls `catch` for its routes (unknown paths, /v1/models); the pipeline's fail step
 * calls `answer` and notes the error it returns for the usage record.
 */
@Catch()
export class OpenAiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProxyErrors');

  constructor(@InjectConfig() private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.answer(exception, host.switchToHttp().getRequest<IncomingMessage>(), host.switchToHttp().getResponse<ServerResponse>());
  }

  /**
   * Answers `exception` on `res` and returns the error it stands for, or null when there is
   * nobody to answer (the client is gone). A stream that already started is ended with an SSE
   * error event instead of a status. `end` sends the JSON answer (endJson unless the caller
   * needs another way to end the exchange, see fail.step.ts); `shape` is the endpoint's error
   * shape (OpenAI's, or Anthropic's on /v1/messages).
   */
  answer(exception: unknown, req: IncomingMessage, res: ServerResponse, end: typeof endJson = endJson, shape: ErrorShape = OPENAI_ERRORS): ProxyError | null {
    // The client is gone: nothing to answer, and an abort is not a server error. That
    // includes a body whose upload the client broke off (body-parser's request.aborted),
    // which used to be logged as an unexpected error.
    if (res.destroyed && (exception as { name?: string } | null)?.name === 'AbortError') return null;
    if ((exception as { type?: unknown } | null)?.type === 'request.aborted') return null;
    const error = this.toProxyError(exception, req);
    if (res.headersSent) {
      // A stream already started: end it with an error event the client can read.
      if (!res.writableEnded && !res.destroyed) res.end(shape.streamEnd(error));
      return error;
    }
    if (res.destroyed) return error;
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    end(res, error.status, shape.body(error));
    return error;
  }

  private toProxyError(exception: unknown, req: IncomingMessage): ProxyError {
    if (exception instanceof ProxyError) return exception;
    const parsed = bodyParserError(exception, this.config.proxy.max_body_bytes);
    if (parsed instanceof ProxyError) return parsed;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return new ProxyError(404, 'invalid_request_error', 'not_found', `Unknown path: ${req.method} ${requestPath(req)}`);
      if (status === 401) return ProxyError.unauthorized('The API key is not recognised.');
      if (status === 413) return ProxyError.payloadTooLarge(this.config.proxy.max_body_bytes);
      if (status === 400) return ProxyError.invalidRequest(exception.message);
      return new ProxyError(status, status >= 500 ? 'server_error' : 'invalid_request_error', `http_${status}`, exception.message);
    }
    if (isDatabaseUnavailable(exception)) {
      // An outage, not a bug: 503 for each request, one log line for the outage.
      databaseOutage.failed(`${req.method} ${requestPath(req)}`, exception);
      return ProxyError.databaseUnavailable(DATABASE_UNAVAILABLE_MESSAGE);
    }
    this.logger.error(
      `unexpected error on ${req.method} ${requestPath(req)}: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
    );
    return new ProxyError(500, 'server_error', 'internal_error', 'The proxy failed to handle this request.');
  }
}
