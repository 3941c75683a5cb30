import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable, Logger } from '@nestjs/common';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { AnswerShape } from '../endpoints/endpoint';
import { ProxyError } from '../errors/proxy-error';
import { endJson } from '../http/end-json';
import { ChatAnswer } from '../providers/chat-provider';

function isAbort(err: unknown): boolean {
  return (err as { name?: string }).name === 'AbortError';
}

/**
 * Step 6: the provider's answer to the client, through Node's response API (the fast path
 * answers without Express), in the endpoint's shape (endpoint.ts: passed through, or
 * translated to the Responses API or Anthropic Messages), noting the token counts (and
 * whether the proxy estimated them), the time to the first token and an error inside a
 * started stream.
 */
@Injectable()
export class AnswerStep {
  private readonly logger = new Logger('ProxyAnswer');

  async run(answer: ChatAnswer, shape: AnswerShape, res: ServerResponse, note: UsageNote): Promise<void> {
    note.usageEstimated = answer.usageEstimated === true;
    if (answer.kind === 'json') return this.sendJson(res, answer, shape, note);
    await this.pipeStream(res, answer, shape, note);
  }

  private sendJson(res: ServerResponse, answer: Extract<ChatAnswer, { kind: 'json' }>, shape: AnswerShape, note: UsageNote): void {
    const body = answer.body as Record<string, unknown> & { error?: { message?: unknown } };
    if (answer.status >= 400) {
      note.errorMessage = typeof body.error?.message === 'string' ? body.error.message : `upstream answered ${answer.status}`;
    }
    const shaped = shape.json(body, answer.status, note);
    if (shaped === null && answer.raw) {
      res.statusCode = answer.status;
      res.setHeader('content-type', 'application/json');
      res.end(answer.raw);
    } else {
      endJson(res, answer.status, shaped ?? answer.body);
    }
  }

  /**
   * Sends the shape's frames as the provider's events arrive, with back-pressure to slow
   * clients. An error after the stream started ends it with the shape's error event; one
   * before anything was sent is thrown for the fail step to answer with its status.
   */
  private async pipeStream(res: ServerResponse, answer: Extract<ChatAnswer, { kind: 'stream' }>, shape: AnswerShape, note: UsageNote): Promise<void> {
    // Events that arrive together (one upstream read) leave together: the response is corked
    // until the current tick's events are written, then sent in one write instead of one
    // system call per event (with the headers in the same packet as the first events).
    let corked = false;
    const uncork = () => {
      corked = false;
      res.uncork();
    };
    const write = async (text: string) => {
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(uncork);
      }
      if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    };
    let headersSent = false;
    const startStream = () => {
      if (headersSent) return;
      headersSent = true;
      res.statusCode = 200;
      res.setHeader('content-type', 'text/event-stream; charset=utf-8');
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('x-accel-buffering', 'no');
    };
    try {
      for await (const frame of shape.frames(answer.events, note)) {
        if (res.destroyed) return;
        startStream();
        await write(frame);
      }
      // A provider knows whether it estimated the counts only once its events have ended
      // (the LMArena site sometimes reports its own usage at the very end).
      note.usageEstimated = answer.usageEstimated === true;
      startStream();
      res.end(shape.end);
    } catch (err) {
      if (isAbort(err) || res.destroyed) return;
      if (!headersSent) throw err; // nothing sent yet: the fail step answers with the status
      const error = err instanceof ProxyError ? err : ProxyError.upstream('The upstream stream failed.');
      if (!(err instanceof ProxyError)) this.logger.error(`stream failed: ${err instanceof Error ? err.message : String(err)}`);
      note.statusCode = error.status;
      note.errorMessage = error.message;
      res.end(shape.streamError(error));
    }
  }
}
