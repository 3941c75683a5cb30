import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A local fake OpenAI-compatible upstream for tests and benchmarks: the only thing we mock.
 * The upstream model id picks the behaviour:
 *   normal              JSON or SSE answer "Hello from upstream" (usage chunk only when asked)
 *   error-400 / error-500-json / error-500-text   the upstream's own errors
 *   invalid-json        200 with a body that is not JSON
 *   garbage-sse         200 event stream whose events are not JSON
 *   reset-before-headers  the socket is destroyed before any answer
 *   reset-mid-stream    two chunks, then the socket is destroyed
 *   stall-headers       never answers
 *   stall-mid-stream    one chunk, then silence
 *   slow-stream         a chunk every 25 ms, 400 chunks (for client aborts)
 *   huge                a JSON answer of about 8 MB
 *   refuse-key          401 (the upstream refusing the proxy's key)
 *   hold-<min>-<max>    the normal answer after holding the request a random <min>..<max> ms
 *                       (for limits on requests in flight)
 * A chat request with `tools` whose last message is not a tool result is answered with a
 * call of the first tool, arguments {"location":"Paris"} (JSON and SSE).
 * With `{ responses: true }` it also speaks POST /v1/responses (JSON and typed SSE events),
 * /v1/embeddings and /v1/completions; without, those paths answer 404 like a chat-only server.
 */
export interface FakeUpstream {
  url: string;
  port: number;
  /** Bodies received, newest last. */
  requests: Array<Record<string, unknown>>;
  /** Authorization headers received. */
  authorizations: Array<string | undefined>;
  /** Requests whose client (the proxy) went away before the answer ended. */
  aborted: number;
  /** TCP connections accepted so far (keep-alive reuse shows as few connections). */
  connections: number;
  /** Chat requests of this upstream model id being answered right now. */
  inFlight(model: string): number;
  /** The most chat requests of this upstream model id answered at once (since resetMaxInFlight). */
  maxInFlight(model: string): number;
  /** Starts maxInFlight of this model again from the requests in flight now. */
  resetMaxInFlight(model: string): void;
  close(): Promise<void>;
}

const CONTENT = 'Hello from upstream';
const PROMPT_TOKENS = 11;
const COMPLETION_TOKENS = 4;

function completion(model: string) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_764_300_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: CONTENT, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS },
  };
}

function chunk(model: string, delta: object, finish: string | null = null, usage?: object) {
  return JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_764_300_000,
    model,
    choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  });
}

export const FAKE_ANSWER = { content: CONTENT, promptTokens: PROMPT_TOKENS, completionTokens: COMPLETION_TOKENS };

const TOOL_ARGS = '{"location":"Paris"}';

function toolCallCompletion(model: string, name: string) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_764_300_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name, arguments: TOOL_ARGS } }],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS },
  };
}

/** What the fake answers on the paths besides chat (with `responses: true`). */
function otherPath(path: string, body: Record<string, unknown>, res: ServerResponse): void {
  const model = String(body['model']);
  const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS };
  if (path === '/v1/embeddings') {
    const inputs = Array.isArray(body['input']) ? body['input'] : [body['input']];
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        object: 'list',
        model,
        usage: { prompt_tokens: PROMPT_TOKENS, total_tokens: PROMPT_TOKENS },
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.6, 0.8, 0] })),
      }),
    );
    return;
  }
  if (path === '/v1/completions') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: 'cmpl-fake',
        object: 'text_completion',
        created: 1_764_300_000,
        model,
        choices: [{ index: 0, text: CONTENT, logprobs: null, finish_reason: 'stop' }],
        usage,
      }),
    );
    return;
  }
  // /v1/responses
  const response = (status: string, output: unknown[]) => ({
    id: 'resp_fake',
    object: 'response',
    created_at: 1_764_300_000,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage:
      status === 'completed'
        ? {
            input_tokens: PROMPT_TOKENS,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: COMPLETION_TOKENS,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS,
          }
        : null,
    user: null,
    metadata: {},
  });
  const message = {
    type: 'message',
    id: 'msg_fake',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: CONTENT, annotations: [], logprobs: [] }],
  };
  if (body['stream'] !== true) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response('completed', [message])));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let seq = 0;
  const send = (type: string, fields: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`);
  send('response.created', { response: response('in_progress', []) });
  send('response.output_item.added', { output_index: 0, item: { ...message, status: 'in_progress', content: [] } });
  send('response.content_part.added', {
    item_id: 'msg_fake',
    output_index: 0,
    content_index: 0,
    part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
  });
  for (const word of ['Hello ', 'from ', 'upstream'])
    send('response.output_text.delta', { item_id: 'msg_fake', output_index: 0, content_index: 0, delta: word, logprobs: [] });
  send('response.output_text.done', { item_id: 'msg_fake', output_index: 0, content_index: 0, text: CONTENT, logprobs: [] });
  send('response.content_part.done', { item_id: 'msg_fake', output_index: 0, content_index: 0, part: message.content[0] });
  send('response.output_item.done', { output_index: 0, item: message });
  send('response.completed', { response: response('completed', [message]) });
  res.end();
}

export async function startFakeUpstream(opts: { responses?: boolean } = {}): Promise<FakeUpstream> {
  const state = { requests: [] as Array<Record<string, unknown>>, authorizations: [] as Array<string | undefined>, aborted: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error', param: null, code: null } }));
      return;
    }
    state.requests.push(body);
    state.authorizations.push(req.headers.authorization);
    res.once('close', () => {
      if (!res.writableFinished) state.aborted += 1;
    });
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/chat/completions') {
      if (opts.responses && ['/v1/responses', '/v1/embeddings', '/v1/completions'].includes(path)) otherPath(path, body, res);
      else
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: `Unknown path ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } }));
      return;
    }
    const model = String(body['model']);
    // Counted from the full body to the end of the answer (or the client going away).
    const current = (inFlight.get(model) ?? 0) + 1;
    inFlight.set(model, current);
    if (current > (maxInFlight.get(model) ?? 0)) maxInFlight.set(model, current);
    res.once('close', () => inFlight.set(model, (inFlight.get(model) ?? 1) - 1));
    const hold = /^hold-(\d+)-(\d+)$/.exec(model);
    if (hold) {
      const [min, max] = [Number(hold[1]), Number(hold[2])];
      later(min + Math.floor(Math.random() * (max - min + 1)), () => {
        if (!res.destroyed) answerChat(req, res, body, 'normal', model);
      });
      return;
    }
    answerChat(req, res, body, model, model);
  };

  /** Answers a chat request as `behaviour` says, naming `model` in the answer. */
  const answerChat = (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, behaviour: string, model: string) => {
    const stream = body['stream'] === true;
    const includeUsage = (body['stream_options'] as { include_usage?: boolean } | undefined)?.include_usage === true;
    const tools = body['tools'] as Array<{ function: { name: string } }> | undefined;
    const messages = body['messages'] as Array<{ role: string }>;
    if (tools && tools.length > 0 && messages[messages.length - 1]?.role !== 'tool') {
      const name = tools[0].function.name;
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(toolCallCompletion(model, name)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${chunk(model, { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_fake_1', type: 'function', function: { name, arguments: '' } }] })}\n\n`,
      );
      for (const part of ['{"location":', '"Paris"}']) res.write(`data: ${chunk(model, { tool_calls: [{ index: 0, function: { arguments: part } }] })}\n\n`);
      res.write(`data: ${chunk(model, {}, 'tool_calls')}\n\n`);
      if (includeUsage)
        res.write(
          `data: ${chunk(model, {}, null, { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS })}\n\n`,
        );
      res.end('data: [DONE]\n\n');
      return;
    }
    const sse = () => res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    switch (behaviour) {
      case 'error-400':
        res.writeHead(400, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: { message: 'Upstream says: bad temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' },
          }),
        );
        return;
      case 'error-500-json':
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'Upstream exploded', type: 'server_error', param: null, code: null } }));
        return;
      case 'refuse-key':
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }));
        return;
      case 'error-500-text':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
        return;
      case 'invalid-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "chatcmpl-fake", "choices": [');
        return;
      case 'garbage-sse':
        sse();
        res.end('data: this is not json\n\ndata: [DONE]\n\n');
        return;
      case 'reset-before-headers':
        req.socket.destroy();
        return;
      case 'reset-mid-stream':
        sse();
        res.write(`data: ${chunk(model, { role: 'assistant', content: '' })}\n\n`);
        res.write(`data: ${chunk(model, { content: 'partial ' })}\n\n`);
        later(20, () => req.socket.destroy());
        return;
      case 'stall-headers':
        return;
      case 'stall-mid-stream':
        sse();
        res.write(`data: ${chunk(model, { role: 'assistant', content: 'first' })}\n\n`);
        return;
      case 'slow-stream': {
        sse();
        let sent = 0;
        const tick = () => {
          if (res.destroyed) return;
          if (sent++ >= 400) {
            res.end('data: [DONE]\n\n');
            return;
          }
          res.write(`data: ${chunk(model, { content: 'tick ' })}\n\n`);
          later(25, tick);
        };
        tick();
        return;
      }
      case 'huge': {
        const big = completion(model);
        big.choices[0].message.content = 'x'.repeat(8 * 1024 * 1024);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(big));
        return;
      }
      default:
        if (!stream) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion(model)));
          return;
        }
        sse();
        res.write(`data: ${chunk(model, { role: 'assistant', content: '' })}\n\n`);
        for (const word of ['Hello ', 'from ', 'upstream']) res.write(`data: ${chunk(model, { content: word })}\n\n`);
        res.write(`data: ${chunk(model, {}, 'stop')}\n\n`);
        if (includeUsage) {
          res.write(
            `data: ${chunk(model, {}, null, { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS })}\n\n`,
          );
        }
        res.end('data: [DONE]\n\n');
    }
  };

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => handle(req, res, Buffer.concat(parts).toString('utf8')));
  });
  server.keepAliveTimeout = 60_000;
  let connections = 0;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    get requests() {
      return state.requests;
    },
    get authorizations() {
      return state.authorizations;
    },
    get aborted() {
      return state.aborted;
    },
    get connections() {
      return connections;
    },
    inFlight: (model) => inFlight.get(model) ?? 0,
    maxInFlight: (model) => maxInFlight.get(model) ?? 0,
    resetMaxInFlight: (model) => void maxInFlight.set(model, inFlight.get(model) ?? 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
