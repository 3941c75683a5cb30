import type { OpenAiProviderConfig } from '@lmarena-bridge/config';
import { Dispatcher, errors as undiciErrors, Pool } from 'undici';
import { ProxyError } from '../../errors/proxy-error';
import type { Capability } from '../../endpoints/endpoint';
import { ChatAnswer, ChatCall, ChatProvider, ClientGone, PassthroughCall } from '../chat-provider';
import { sseDataPayloads } from './sse-events';
import { UpstreamDeadline } from './upstream-deadline';

/** What an upstream may still send after [DONE] before its response is cut off. */
const AFTER_DONE_MS = 1_000;
const AFTER_DONE_BYTES = 64 * 1024;

/** Largest non-streamed upstream answer read into memory. */
const MAX_JSON_ANSWER_BYTES = 64 * 1024 * 1024;

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * Any OpenAI-compatible HTTP API. One keep-alive connection pool per provider (undici);
 * `timeout_ms` bounds the wait for the answer's headers (UpstreamDeadline: to the millisecond,
 * not on undici's coarse timer wheel) and every pause between body chunks (undici's bodyTimeout).
 */
export class OpenAiProvider implements ChatProvider {
  private readonly pool: Pool;
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(
    readonly name: string,
    private readonly config: OpenAiProviderConfig,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const url = new URL(config.base_url);
    this.pool = new Pool(url.origin, { connections: 256, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
    this.base = url.pathname.replace(/\/+$/, '');
    const key = config.api_key_env ? env[config.api_key_env] : undefined;
    this.headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Chat, completions and embeddings always; the Responses API when the config says so. */
  serves(capability: Capability): boolean {
    return capability === 'responses' ? this.config.responses : true;
  }

  complete(call: ChatCall): Promise<ChatAnswer> {
    const body = { ...call.body, model: call.route.upstream_model };
    // Ask for the usage chunk so streams can be counted; the proxy hides it again from
    // clients that did not ask for it.
    if (call.stream) body.stream_options = { ...(call.body.stream_options ?? {}), include_usage: true };
    return this.post('/chat/completions', body, call.stream, call.signal, call.requestId);
  }

  passthrough(call: PassthroughCall): Promise<ChatAnswer> {
    const body: Record<string, unknown> = { ...call.body, model: call.route.upstream_model };
    if (call.stream && call.path === '/completions')
      body['stream_options'] = { ...((call.body['stream_options'] as object | undefined) ?? {}), include_usage: true };
    return this.post(call.path, body, call.stream, call.signal, call.requestId);
  }

  private async post(path: string, body: object, stream: boolean, signal: ClientGone, requestId?: string): Promise<ChatAnswer> {
    let payload: string;
    try {
      payload = JSON.stringify(body);
    } catch {
      // JSON.parse accepts nesting that JSON.stringify cannot write back (RangeError: stack
      // size): the client's body is at fault, not the upstream.
      throw ProxyError.invalidRequest('The request body is nested too deeply to be forwarded.');
    }
    const deadline = new UpstreamDeadline(this.config.timeout_ms, signal);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.pool.request({
        path: this.base + path,
        method: 'POST',
        headers: requestId ? { ...this.headers, 'x-request-id': requestId } : this.headers,
        body: payload,
        signal: deadline,
        // undici's headers timer stays as a backstop; the deadline fires first.
        headersTimeout: this.config.timeout_ms,
        bodyTimeout: this.config.timeout_ms,
      });
    } catch (err) {
      throw deadline.timedOut ? this.timeoutError() : this.translate(err);
    } finally {
      deadline.done();
    }
    const contentType = String(response.headers['content-type'] ?? '');
    if (response.statusCode === 401 || response.statusCode === 403) {
      // The proxy's own key was refused: the client's token is fine, the configuration is not.
      response.body.destroy();
      throw ProxyError.upstreamCredentials(this.name, response.statusCode, this.config.api_key_env);
    }
    if (stream && response.statusCode === 200 && contentType.includes('text/event-stream')) {
      return { kind: 'stream', events: this.events(response.body) };
    }
    const raw = await this.readAll(response.body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      if (response.statusCode >= 400) {
        throw new ProxyError(
          response.statusCode >= 500 ? 502 : response.statusCode,
          'upstream_error',
          'upstream_error',
          `The upstream "${this.name}" answered ${response.statusCode} without a JSON error body.`,
        );
      }
      throw ProxyError.upstream(`The upstream "${this.name}" answered with invalid JSON.`);
    }
    if (response.statusCode < 400 && stream) {
      throw ProxyError.upstream(`The upstream "${this.name}" answered a streaming request without an event stream.`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw ProxyError.upstream(`The upstream "${this.name}" answered with an unexpected JSON value.`);
    return { kind: 'json', status: response.statusCode, body: parsed, raw };
  }

  private async *events(body: Dispatcher.ResponseData['body']): AsyncIterable<string> {
    let done = false;
    try {
      for await (const payload of sseDataPayloads(body, (rest) => {
        done = true;
        void this.finish(body, rest);
      }))
        yield payload;
    } catch (err) {
      throw this.translate(err);
    } finally {
      // Early exit (client gone, error): release the connection instead of draining it.
      if (!done && !body.readableEnded) body.destroy();
    }
  }

  /**
   * After [DONE] the upstream normally ends its response at once: read that end (in the
   * background, the client's answer is not held for it) and let the request complete.
   * Destroying the body before its end aborts the request instead, and undici builds an
   * AbortError with a stack trace for it: ~7 % of the proxy's CPU per stream (cpu profile).
   * An upstream that goes on sending or keeps the response open is cut off.
   */
  private async finish(body: Dispatcher.ResponseData['body'], rest: AsyncIterator<Buffer | string>): Promise<void> {
    const cutOff = setTimeout(() => body.destroy(), AFTER_DONE_MS);
    try {
      let size = 0;
      for (let next = await rest.next(); !next.done; next = await rest.next()) {
        size += next.value.length;
        if (size > AFTER_DONE_BYTES) {
          body.destroy();
          return;
        }
      }
    } catch {
      // destroyed, reset: nothing to release any more
    } finally {
      clearTimeout(cutOff);
    }
  }

  private async readAll(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const part of body) {
        size += (part as Buffer).length;
        if (size > MAX_JSON_ANSWER_BYTES) {
          body.destroy();
          throw ProxyError.upstream(`The upstream "${this.name}" answer is larger than ${MAX_JSON_ANSWER_BYTES} bytes.`);
        }
        parts.push(part as Buffer);
      }
    } catch (err) {
      throw this.translate(err);
    }
    return Buffer.concat(parts);
  }

  private timeoutError(): ProxyError {
    return ProxyError.timeout(`The upstream "${this.name}" did not answer within ${this.config.timeout_ms} ms.`);
  }

  /** undici and socket errors as the contract's upstream errors. */
  private translate(err: unknown): Error {
    if (err instanceof ProxyError) return err;
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) return this.timeoutError();
    if ((err as { name?: string }).name === 'AbortError' || err instanceof undiciErrors.RequestAbortedError) {
      return err as Error;
    }
    return ProxyError.upstream(`The upstream "${this.name}" failed: ${describe(err)}.`);
  }
}
