import { requestIdOf } from '@lmarena-bridge/server';
import { requestUsage } from '@lmarena-bridge/usage';
import { Injectable, Logger } from '@nestjs/common';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { ProxyError } from '../errors/proxy-error';
import { endJson } from '../http/end-json';
import { ModelsService } from '../models/models.service';
import { noteUpstreamTime } from '../ops/upstream-time';
import { ChatAnswer, ClientGone } from '../providers/chat-provider';
import { ProvidersService } from '../providers/providers.service';
import { parseChatBody } from './chat-body';

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

/** POST /v1/chat/completions: validate, route, forward, stream back, note the usage. */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
  ) {}

  async handle(req: IncomingMessage & { body?: unknown }, res: ServerResponse, caller: ProxyCaller): Promise<void> {
    const started = process.hrtime.bigint();
    const usage = requestUsage(res);
    const raw = req.body as Record<string, unknown> | undefined;
    if (raw && typeof raw['model'] === 'string') usage.model = raw['model'].slice(0, 200);
    if (raw && raw['stream'] === true) usage.stream = true;

    const body = parseChatBody(req.body);
    const route = this.models.find(body.model);
    if (!route) throw ProxyError.modelNotFound(body.model);
    if (caller.kind === 'token' && caller.token.allowedModels && !caller.token.allowedModels.includes(route.name)) {
      throw ProxyError.modelNotAllowed(route.name);
    }
    const stream = body.stream === true;
    const clientWantsUsage = body.stream_options?.include_usage === true;

    // Client gone before the answer ended: stop the upstream work.
    const abort = new ClientGone();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });

    let answer: ChatAnswer;
    const upstreamStarted = process.hrtime.bigint();
    try {
      answer = await this.providers.forRoute(route).complete({ route, body, stream, signal: abort, requestId: requestIdOf(req) });
      noteUpstreamTime(res, upstreamStarted);
    } catch (err) {
      if (abort.aborted) return; // the client left; nobody is waiting for an answer
      throw err;
    }
    if (answer.kind === 'json') return this.sendJson(res, answer);
    await this.pipeStream(res, answer.events, clientWantsUsage, started);
  }

  private sendJson(res: ServerResponse, answer: Extract<ChatAnswer, { kind: 'json' }>): void {
    const usage = requestUsage(res);
    const body = answer.body as { usage?: UsageFields; error?: { message?: unknown } };
    usage.promptTokens = tokens(body.usage?.prompt_tokens);
    usage.completionTokens = tokens(body.usage?.completion_tokens);
    if (answer.status >= 400) {
      usage.errorMessage = typeof body.error?.message === 'string' ? body.error.message : `upstream answered ${answer.status}`;
    }
    if (answer.raw) {
      // Node's response API: the chat front door answers without Express.
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
   * it; an error after the stream started ends it with an SSE error event and [DONE].
   */
  private async pipeStream(res: ServerResponse, events: AsyncIterable<string>, clientWantsUsage: boolean, started: bigint): Promise<void> {
    const usage = requestUsage(res);
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
        if (usage.ttftMs === null && chunk.choices?.some((c) => typeof c.delta?.content === 'string' && c.delta.content !== '')) {
          usage.ttftMs = Math.max(1, Math.round(Number(process.hrtime.bigint() - started) / 1e6));
        }
        if (chunk.usage) {
          usage.promptTokens = tokens(chunk.usage.prompt_tokens);
          usage.completionTokens = tokens(chunk.usage.completion_tokens);
          if (!clientWantsUsage) {
            if (!chunk.choices || chunk.choices.length === 0) out = null;
            else {
              delete chunk.usage;
              out = JSON.stringify(chunk);
            }
          }
        }
        if (chunk.error) {
          usage.statusCode = 502;
          usage.errorMessage = typeof chunk.error.message === 'string' ? chunk.error.message : 'upstream stream error';
        }
        if (out === null) continue;
        startStream();
        await write(`data: ${out}\n\n`);
      }
      startStream();
      res.end('data: [DONE]\n\n');
    } catch (err) {
      if (isAbort(err) || res.destroyed) return;
      if (!headersSent) throw err; // nothing sent yet: the exception filter answers with the status
      const error = err instanceof ProxyError ? err : ProxyError.upstream('The upstream stream failed.');
      if (!(err instanceof ProxyError)) this.logger.error(`stream failed: ${err instanceof Error ? err.message : String(err)}`);
      usage.statusCode = error.status;
      usage.errorMessage = error.message;
      res.end(`data: ${JSON.stringify(error.body())}\n\ndata: [DONE]\n\n`);
    }
  }
}
