import { DATABASE_UNAVAILABLE_MESSAGE, databaseOutage, isDatabaseUnavailable } from '@lmarena-bridge/database';
import { ArgumentsHost, Catch, HttpException, ServiceUnavailableException } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';

/**
 * A client error raised outside a route by body-parser (http-errors with `status` and
 * `expose`): 413 body over 100 kB, 415 unsupported charset or content encoding, 400 a body
 * that is not what its Content-Encoding claims.
 */
function asHttpException(exception: unknown): HttpException | null {
  if (exception instanceof HttpException) return exception;
  if (isDatabaseUnavailable(exception)) return new ServiceUnavailableException(DATABASE_UNAVAILABLE_MESSAGE);
  const e = exception as { status?: unknown; expose?: unknown; message?: unknown } | null;
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true && typeof e.message === 'string') {
    return new HttpException(e.message, e.status);
  }
  return null;
}

/**
 * Every client error answered in the documented shape `{statusCode, error, message}`. Nest's
 * default handler sent body-parser's errors as `{statusCode, message}` (and logged them as
 * server errors). A database that cannot be reached (isDatabaseUnavailable) is a 503 in the
 * same shape, logged once per outage. Anything else (a 500) keeps Nest's default handling.
 */
@Catch()
export class HttpExceptionFilter extends BaseExceptionFilter {
  constructor(adapterHost: HttpAdapterHost) {
    // Nest's default handling (reply and log) for what is not a client error.
    super(adapterHost.httpAdapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = asHttpException(exception);
    if (!http) {
      super.catch(exception, host);
      return;
    }
    const res = host.switchToHttp().getResponse<Response>();
    if (!(exception instanceof HttpException) && http.getStatus() === 503) {
      const req = host.switchToHttp().getRequest<Request>();
      databaseOutage.failed(`${req.method} ${req.path}`, exception);
      if (!res.headersSent) res.setHeader('Retry-After', '1');
    }
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    const status = http.getStatus();
    const answer = http.getResponse();
    const fields = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : { message: answer };
    const message = fields['message'];
    res.status(status).json({
      ...fields,
      statusCode: status,
      error: typeof fields['error'] === 'string' ? fields['error'] : (STATUS_CODES[status] ?? 'Error'),
      message: typeof message === 'string' || Array.isArray(message) ? message : http.message,
    });
  }
}
