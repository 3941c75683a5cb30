import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable, Logger } from '@nestjs/common';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../errors/proxy-error';
import { endJson } from '../http/end-json';
import { ChatAnswer } from '../providers/chat-provider';

interface UsageFields {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
}

function tokens(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string }).name === 'AbortError';
}

/**
 * Step 6: the provider's answer to the client, through Node's response API (the fast path
 * answers without Express), noting the token counts (and whether the proxy estimated them),
 * the time to the first token and an error inside a started stream.
 */
@Injectable()
export class AnswerStep {
  private readonly logger = new Logger('ProxyAnswer');

  async run(answer: ChatAnswer, clientWantsUsage: boolean, res: ServerResponse, note: UsageNote): Promise<void> {
    note.usageEstimated = answer.usageEstimated === true;
    if (answer.kind === 'json') return this.sendJson(res, answer, note);
    await this.pipeStream(res, answer.events, clientWantsUsage, note);
  }

  private sendJson(res: ServerResponse, answer: Extract<ChatAnswer, { kind: 'json' }>, note: UsageNote): void {
    const body = answer.body as { usage?: UsageFields; error?: { message?: unknown } };
    note.promptTokens = tokens(body.usage?.prompt_tokens);
    note.completionTokens = tokens(body.usage?.completion_tokens);
    if (answer.status >= 400) {
      note.errorMessage = typeof body.error?.message === 'string' ? body.error.message : `upstream answered ${answer.status}`;
    }
    if (answer.raw) {
      res.statusCode = answer.status;
      res.setHeader('content-type', 'application/json');
      res.end(answer.raw);
    } else {
      endJson(res, answer.status, answer.body);
    }
  }

  /**
   * Passes SSE events through as they arrive, with back-pressure to slow clients. The
   * upstream's usage chunk is read for the record and removed unless the client asked for
   * it; an error after the stream started ends it with an SSE error event and [DONE]; one
   * before anything was sent is thrown for the fail step to answer with its status.
   */
  private async pipeStream(res: ServerResponse, events: AsyncIterable<string>, clientWantsUsage: boolean, note: UsageNote): Promise<void> {
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
      for await (const payload of events) {
        if (res.destroyed) return;
        let chunk: { choices?: Array<{ delta?: { content?: unknown } }>; usage?: UsageFields | null; error?: { message?: unknown } };
        try {
          chunk = JSON.parse(payload);
        } catch {
          throw ProxyError.upstream('The upstream sent an invalid stream event.');
        }
        let out: string | null = payload;
        if (note.ttftMs === null && chunk.choices?.some((c) => typeof c.delta?.content === 'string' && c.delta.content !== '')) {
          note.ttftMs = Math.max(1, Math.round(note.elapsedMs()));
        }
        if (chunk.usage) {
          note.promptTokens = tokens(chunk.usage.prompt_tokens);
          note.completionTokens = tokens(chunk.usage.completion_tokens);
          if (!clientWantsUsage) {
            if (!chunk.choices || chunk.choices.length === 0) out = null;
            else {
              delete chunk.usage;
              out = JSON.stringify(chunk);
            }
          }
        }
        if (chunk.error) {
          note.statusCode = 502;
          note.errorMessage = typeof chunk.error.message === 'string' ? chunk.error.message : 'upstream stream error';
        }
        if (out === null) continue;
        startStream();
        await write(`data: ${out}\n\n`);
      }
      startStream();
      res.end('data: [DONE]\n\n');
    } catch (err) {
      if (isAbort(err) || res.destroyed) return;
      if (!headersSent) throw err; // nothing sent yet: the fail step answers with the status
      const error = err instanceof ProxyError ? err : ProxyError.upstream('The upstream stream failed.');
      if (!(err instanceof ProxyError)) this.logger.error(`stream failed: ${err instanceof Error ? err.message : String(err)}`);
      note.statusCode = error.status;
      note.errorMessage = error.message;
      res.end(`data: ${JSON.stringify(error.body())}\n\ndata: [DONE]\n\n`);
    }
  }
}
