import { FakeTransport } from '../../../testing/fake-bridge';
import { ProxyError } from '../../errors/proxy-error';
import { ClientGone } from '../chat-provider';
import { BridgeRelayError } from './bridge-transport';
import { AnswerEnd, AnswerPiece, answerPieces } from './site-answer';

const line = (prefix: string, value: unknown) => `${prefix}:${JSON.stringify(value)}\n`;

async function read(transport: FakeTransport, signal = new ClientGone()): Promise<{ pieces: AnswerPiece[]; end: AnswerEnd | undefined; error: unknown }> {
  const exchange = await transport.open({ method: 'POST', path: '/x', body: {} }, signal);
  const iterator = answerPieces(exchange, signal);
  const pieces: AnswerPiece[] = [];
  try {
    for (let next = await iterator.next(); ; next = await iterator.next()) {
      if (next.done) return { pieces, end: next.value, error: null };
      pieces.push(next.value);
    }
  } catch (error) {
    return { pieces, end: undefined, error };
  }
}

describe('answerPieces', () => {
  it('gives content and reasoning in order and returns the finish line', async () => {
    const transport = new FakeTransport();
    transport.relay.send(line('ag', 'r'), line('a0', 't'), line('ad', { finishReason: 'length', usage: { promptTokens: 1, completionTokens: 2 } })).finish();
    expect(await read(transport)).toEqual({
      pieces: [
        { kind: 'reasoning', text: 'r' },
        { kind: 'content', text: 't' },
      ],
      end: { reason: 'length', usage: { promptTokens: 1, completionTokens: 2 } },
      error: null,
    });
  });

  it('returns no finish reason when the site sent no finish line', async () => {
    const transport = new FakeTransport();
    transport.relay.send(line('a0', 't')).finish();
    expect((await read(transport)).end).toEqual({ reason: null });
  });

  it('notes each failure once on the browser and reloads only for Cloudflare', async () => {
    const relayed = new FakeTransport();
    relayed.relay.fail(new BridgeRelayError(403, 'recaptcha validation failed'));
    const { error } = await read(relayed);
    expect(relayed.exchange.errors).toEqual([(error as ProxyError).message]);
    expect(relayed.exchange.refreshes).toBe(0);

    const page = new FakeTransport();
    page.relay.send('<html>Just a moment...</html>').finish();
    expect(((await read(page)).error as ProxyError).status).toBe(503);
    expect(page.exchange.errors).toHaveLength(1);
    expect(page.exchange.refreshes).toBe(1);
  });

  it('ends quietly with undefined when the client left, even if the relay then fails', async () => {
    const transport = new FakeTransport();
    const signal = new ClientGone();
    transport.relay.send(line('a0', 'x'));
    const exchange = await transport.open({ method: 'POST', path: '/x', body: {} }, new ClientGone());
    const iterator = answerPieces(exchange, signal);
    expect((await iterator.next()).value).toEqual({ kind: 'content', text: 'x' });
    signal.abort();
    transport.relay.fail(new BridgeRelayError(0, 'aborted'));
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(transport.exchange.errors).toEqual([]);
  });
});
