import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Observable } from 'rxjs';
import { UsageRecorder } from './recorder/usage-recorder.service';
import { requestPath, requestUsage, usageOwner } from './request-usage';

/** Status recorded for a request whose client went away before the answer ended (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Measures every request that passed authentication with a dashboard token and hands one
 * row to the recorder when the response is over: completed (its status, or the error status
 * of a failed stream), or cut short by the client (499). Errors answered by the exception
 * filter are recorded too, since the row is taken from the response, not the handler.
 */
@Injectable()
export class UsageInterceptor implements NestInterceptor {
  constructor(private readonly recorder: UsageRecorder) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<IncomingMessage>();
    const owner = usageOwner(req);
    if (!owner) return next.handle();
    const res = http.getResponse<ServerResponse>();
    const createdAt = Date.now();
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const usage = requestUsage(res);
      const finished = res.writableFinished;
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      this.recorder.record({
        createdAt,
        userId: owner.userId,
        tokenId: owner.tokenId,
        model: usage.model,
        endpoint: requestPath(req),
        stream: usage.stream,
        statusCode: finished ? usage.statusCode ?? res.statusCode : CLIENT_CLOSED_REQUEST,
        // Sub-millisecond answers count as 1 ms: a recorded request always took some time.
        responseTimeMs: Math.max(1, Math.round(elapsed)),
        ttftMs: usage.ttftMs,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        errorMessage: finished ? usage.errorMessage : usage.errorMessage ?? 'client closed the connection before the answer ended',
      });
    });
    return next.handle();
  }
}
