import type { ModelRoute } from '@lmarena-bridge/config';
import { UsageNote } from '@lmarena-bridge/usage';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ProxyError } from '../errors/proxy-error';
import { ChatAnswer, ChatCall, ChatProvider } from '../providers/chat-provider';
import { ForwardStep } from './forward.step';
import { CHAT_ENDPOINT } from '../endpoints/chat.endpoint';
import type { ResolvedRequest } from './resolve.step';

/** A provider that answers when told to, or fails, and keeps the call it got. */
class ControlledProvider implements ChatProvider {
  call: ChatCall | null = null;
  private settle!: { resolve: (a: ChatAnswer) => void; reject: (e: unknown) => void };
  complete(call: ChatCall): Promise<ChatAnswer> {
    this.call = call;
    return new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }
  answer(a: ChatAnswer): void {
    this.settle.resolve(a);
  }
  fail(e: unknown): void {
    this.settle.reject(e);
  }
}

const route = { name: 'up', provider: 'fake', type: 'openai', upstream_model: 'normal' } as ModelRoute;
const aResponse = () => Object.assign(new EventEmitter(), { writableFinished: false }) as unknown as ServerResponse & { writableFinished: boolean };
const target = (provider: ChatProvider): ResolvedRequest => {
  const request = { model: 'up', stream: true, body: { model: 'up', messages: [], stream: true } };
  return { body: request.body, route, provider, stream: true, exchange: CHAT_ENDPOINT.plan(request, route, provider) };
};
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ForwardStep', () => {
  it('hands the call to the provider and returns its answer', async () => {
    const provider = new ControlledProvider();
    const pending = new ForwardStep().run(target(provider), aResponse(), new UsageNote('/v1/chat/completions'));
    await tick();
    expect(provider.call).toMatchObject({ route, stream: true, body: { model: 'up' } });
    expect(provider.call?.signal.aborted).toBe(false);
    const answer: ChatAnswer = { kind: 'json', status: 200, body: {} };
    provider.answer(answer);
    await expect(pending).resolves.toBe(answer);
  });

  it('aborts the upstream work when the client goes away, and then answers nobody', async () => {
    const provider = new ControlledProvider();
    const res = aResponse();
    const pending = new ForwardStep().run(target(provider), res, new UsageNote('/v1/chat/completions'));
    await tick();
    res.emit('close');
    expect(provider.call?.signal.aborted).toBe(true);
    provider.fail(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    await expect(pending).resolves.toBeNull();
  });

  it('does not abort when the response closes after it finished', async () => {
    const provider = new ControlledProvider();
    const res = aResponse();
    void new ForwardStep().run(target(provider), res, new UsageNote('/v1/chat/completions'));
    await tick();
    res.writableFinished = true;
    res.emit('close');
    expect(provider.call?.signal.aborted).toBe(false);
  });

  it('sends the request id upstream and notes how long the provider took to answer', async () => {
    const provider = new ControlledProvider();
    const note = new UsageNote('/v1/chat/completions');
    const pending = new ForwardStep().run(target(provider), aResponse(), note, 'req-42');
    await tick();
    expect(provider.call?.requestId).toBe('req-42');
    expect(note.upstreamMs).toBeNull();
    provider.answer({ kind: 'json', status: 200, body: {} });
    await pending;
    expect(note.upstreamMs).toEqual(expect.any(Number));
    expect(note.upstreamMs).toBeGreaterThanOrEqual(0);
  });

  it('passes a provider error on while the client is still there', async () => {
    const provider = new ControlledProvider();
    const pending = new ForwardStep().run(target(provider), aResponse(), new UsageNote('/v1/chat/completions'));
    await tick();
    const err = ProxyError.timeout('slow');
    provider.fail(err);
    await expect(pending).rejects.toBe(err);
  });
});
