import { UsageNote } from '@lmarena-bridge/usage';
import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { createServer, get, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ProxyError } from '../errors/proxy-error';
import { ChatAnswer } from '../providers/chat-provider';
import { OpenAiPassShape } from '../endpoints/chat.endpoint';
import { AnswerStep } from './answer.step';

const usageChunk = JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } });
const contentChunk = (text: string) => JSON.stringify({ choices: [{ delta: { content: text } }] });

async function* events(...payloads: Array<string | Error>): AsyncIterable<string> {
  for (const p of payloads) {
    if (p instanceof Error) throw p;
    yield p;
  }
}

describe('AnswerStep', () => {
  let server: Server;
  let handle: (res: ServerResponse) => Promise<void>;
  let failures: unknown[];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    server = createServer((_req, res) => {
      handle(res).catch((err: unknown) => {
        failures.push(err);
        res.statusCode = 599;
        res.end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (failures = []));

  /** Runs the step on a real response and returns what the client received. */
  async function answer(a: ChatAnswer, clientWantsUsage = false, note = new UsageNote('/v1/chat/completions'), model = 'public') {
    handle = (res) => new AnswerStep().run(a, new OpenAiPassShape(model, clientWantsUsage), res, note);
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, resolve),
    );
    let text = '';
    for await (const chunk of res) text += String(chunk);
    return { status: res.statusCode, type: res.headers['content-type'], text, note };
  }

  it('sends a JSON answer as the upstream sent it and notes its usage', async () => {
    const raw = Buffer.from('{"id":"x","usage":{"prompt_tokens":5,"completion_tokens":2}}');
    const out = await answer({ kind: 'json', status: 200, body: JSON.parse(raw.toString()), raw });
    expect(out).toMatchObject({ status: 200, type: 'application/json', text: raw.toString() });
    expect(out.note).toMatchObject({ promptTokens: 5, completionTokens: 2, usageEstimated: false, errorMessage: null });
  });

  it("notes the upstream's own error message and carries the estimated flag", async () => {
    const out = await answer({ kind: 'json', status: 429, body: { error: { message: 'slow down' } }, usageEstimated: true });
    expect(out).toMatchObject({ status: 429, text: '{"error":{"message":"slow down"}}' });
    expect(out.note).toMatchObject({ errorMessage: 'slow down', usageEstimated: true });
  });

  it('streams events, hides the usage chunk the client did not ask for, and notes usage and time to first token', async () => {
    const out = await answer({ kind: 'stream', events: events(contentChunk('Hel'), contentChunk('lo'), usageChunk) });
    expect(out.status).toBe(200);
    expect(out.type).toMatch(/^text\/event-stream/);
    expect(out.text).toBe(`data: ${contentChunk('Hel')}\n\ndata: ${contentChunk('lo')}\n\ndata: [DONE]\n\n`);
    expect(out.note).toMatchObject({ promptTokens: 7, completionTokens: 3 });
    expect(out.note.ttftMs).toBeGreaterThanOrEqual(1);
  });

  it('keeps the usage chunk for a client that asked for it', async () => {
    const out = await answer({ kind: 'stream', events: events(contentChunk('a'), usageChunk), usageEstimated: true }, true);
    expect(out.text).toContain(`data: ${usageChunk}\n\n`);
    expect(out.note.usageEstimated).toBe(true);
  });

  it('ends a stream that fails after it started with an SSE error event, noting the status', async () => {
    const out = await answer({ kind: 'stream', events: events(contentChunk('a'), ProxyError.timeout('too slow')) });
    expect(out.status).toBe(200);
    expect(out.text).toContain('"code":"upstream_timeout"');
    expect(out.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(out.note).toMatchObject({ statusCode: 504, errorMessage: 'too slow' });
  });

  it('throws a failure before the first event, for the fail step to answer with its status', async () => {
    const out = await answer({ kind: 'stream', events: events('not json') });
    expect(out.status).toBe(599);
    expect(failures).toEqual([expect.objectContaining({ status: 502, code: 'upstream_error' })]);
  });

  it("answers with the public model name the client asked for, not the upstream's id (JSON and stream)", async () => {
    const raw = Buffer.from('{"id":"x","model":"gpt-4o-2024-08-06","usage":{"prompt_tokens":1,"completion_tokens":1}}');
    const json = await answer({ kind: 'json', status: 200, body: JSON.parse(raw.toString()), raw }, false, undefined, 'my-alias');
    expect(JSON.parse(json.text)).toEqual({ id: 'x', model: 'my-alias', usage: { prompt_tokens: 1, completion_tokens: 1 } });
    const chunk = JSON.stringify({ model: 'gpt-4o-2024-08-06', choices: [{ delta: { content: 'a' } }] });
    const streamed = await answer({ kind: 'stream', events: events(chunk) }, false, undefined, 'my-alias');
    expect(streamed.text).toBe(`data: ${JSON.stringify({ model: 'my-alias', choices: [{ delta: { content: 'a' } }] })}\n\ndata: [DONE]\n\n`);
  });
});
