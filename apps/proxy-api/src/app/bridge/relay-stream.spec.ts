import { RelayStream } from './relay-stream';

function stream(limits = { highWater: 10, lowWater: 4, hardLimit: 30 }) {
  const events: string[] = [];
  const relay = new RelayStream({ onPressure: (full) => events.push(full ? 'full' : 'drained'), onAbandon: () => events.push('abandoned') }, limits);
  return { relay, events };
}

describe('RelayStream', () => {
  it('hands text to a waiting reader and ends after what was pushed', async () => {
    const { relay } = stream();
    const it = relay[Symbol.asyncIterator]();
    const first = it.next();
    relay.push('abc');
    await expect(first).resolves.toEqual({ value: 'abc', done: false });
    relay.push('def');
    relay.end();
    await expect(it.next()).resolves.toEqual({ value: 'def', done: false });
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('throws a failure once, after the text before it', async () => {
    const { relay } = stream();
    relay.push('abc');
    relay.fail(new Error('boom'));
    const it = relay[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ value: 'abc', done: false });
    await expect(it.next()).rejects.toThrow('boom');
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('signals pressure above the high-water mark, release below the low one, and refuses past the hard limit', async () => {
    const { relay, events } = stream();
    expect(relay.push('123456')).toBe(true);
    expect(events).toEqual([]);
    expect(relay.push('123456')).toBe(true);
    expect(events).toEqual(['full']);
    expect(relay.push('1234567890')).toBe(true);
    expect(relay.push('1234567890')).toBe(false); // 32 > 30: the caller fails the request
    expect(relay.pending).toBe(22);
    const it = relay[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    expect(events).toEqual(['full']);
    await it.next();
    expect(events).toEqual(['full', 'drained']);
  });

  it('tells the owner when the reader stops early, and only then', async () => {
    const { relay, events } = stream();
    relay.push('a');
    for await (const text of relay) {
      expect(text).toBe('a');
      break;
    }
    expect(events).toEqual(['abandoned']);
    const ended = stream();
    ended.relay.end();
    for await (const text of ended.relay) throw new Error(`unexpected ${text}`);
    expect(ended.events).toEqual([]);
  });

  it('can be read once', () => {
    const { relay } = stream();
    relay[Symbol.asyncIterator]();
    expect(() => relay[Symbol.asyncIterator]()).toThrow('read once');
  });
});
