import { sseDataPayloads } from './sse-events';

async function* chunksOf(parts: ReadonlyArray<Buffer | string>): AsyncIterable<Buffer | string> {
  for (const part of parts) yield part;
}

async function collect(parts: ReadonlyArray<Buffer | string>): Promise<string[]> {
  const out: string[] = [];
  for await (const payload of sseDataPayloads(chunksOf(parts))) out.push(payload);
  return out;
}

/** Every way of cutting `bytes` in two, and the single-byte cut. */
function splits(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) ways.push([bytes.subarray(0, i), bytes.subarray(i)]);
  ways.push(Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)));
  return ways;
}

/** An upstream stream with everything a parser can trip on; written with "\n", converted per test. */
const STREAM = [
  ': keep-alive comment',
  '',
  'data: {"id":"1","choices":[{"delta":{"content":"Hel"}}]}',
  '',
  'event: message',
  'id: 7',
  'data: first line',
  'data: second line',
  'retry: 1000',
  '',
  'data:no space after the colon',
  '',
  'data: ünïcödé — 中文 — 🚀🎉',
  '',
  ': a comment-only event',
  '',
  'data:  two spaces keep one',
  '',
  'data: [DONE]',
  '',
  'data: {"after":"done"}',
  '',
  '',
].join('\n');

const EXPECTED = [
  '{"id":"1","choices":[{"delta":{"content":"Hel"}}]}',
  'first line\nsecond line',
  'no space after the colon',
  'ünïcödé — 中文 — 🚀🎉',
  ' two spaces keep one',
];

describe('sseDataPayloads', () => {
  describe.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('with %s line endings', (_name, eol) => {
    const bytes = Buffer.from(STREAM.replace(/\n/g, eol), 'utf8');

    it('yields the data of each event, joins multi-line data, skips comments and stops at [DONE]', async () => {
      await expect(collect([bytes])).resolves.toEqual(EXPECTED);
    });

    it('gives the same events however the bytes are cut: every 2-way split and 1-byte chunks', async () => {
      const wrong: string[] = [];
      for (const parts of splits(bytes)) {
        const got = await collect(parts);
        if (JSON.stringify(got) !== JSON.stringify(EXPECTED))
          wrong.push(`${parts.map((p) => JSON.stringify(p.toString('latin1'))).join(' | ')} -> ${JSON.stringify(got)}`);
      }
      expect(wrong).toEqual([]);
    });

    it('accepts string chunks too', async () => {
      const text = bytes.toString('utf8');
      await expect(collect(Array.from(text))).resolves.toEqual(EXPECTED);
    });
  });

  it('decodes a multibyte character whose bytes arrive in different chunks', async () => {
    const rocket = Buffer.from('data: 🚀\n\n', 'utf8');
    const at = rocket.indexOf(0xf0);
    const parts = [rocket.subarray(0, at + 1), rocket.subarray(at + 1, at + 2), rocket.subarray(at + 2, at + 3), rocket.subarray(at + 3)];
    await expect(collect(parts)).resolves.toEqual(['🚀']);
  });

  it('yields each event as soon as its blank line arrives, before the stream ends', async () => {
    let release!: () => void;
    const more = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      yield Buffer.from('data: one\n\ndata: tw');
      await more;
      yield Buffer.from('o\n\n');
    }
    const it = sseDataPayloads(source())[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ value: 'one', done: false });
    release();
    await expect(it.next()).resolves.toEqual({ value: 'two', done: false });
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('stops reading the upstream at [DONE]', async () => {
    let pulledAfterDone = false;
    async function* source() {
      yield 'data: {"n":1}\n\ndata: [DONE]\n\n';
      pulledAfterDone = true;
      yield 'data: {"n":2}\n\n';
    }
    const out: string[] = [];
    for await (const payload of sseDataPayloads(source())) out.push(payload);
    expect(out).toEqual(['{"n":1}']);
    expect(pulledAfterDone).toBe(false);
  });

  it('hands the unread rest of the source to afterDone at [DONE], without closing it', async () => {
    let closed = false;
    async function* source() {
      try {
        yield 'data: {"n":1}\n\ndata: [DONE]\n\n';
        yield 'trailing bytes';
      } finally {
        closed = true;
      }
    }
    let rest: AsyncIterator<Buffer | string> | undefined;
    const out: string[] = [];
    for await (const payload of sseDataPayloads(source(), (r) => (rest = r))) out.push(payload);
    expect(out).toEqual(['{"n":1}']);
    expect(closed).toBe(false);
    await expect(rest?.next()).resolves.toEqual({ value: 'trailing bytes', done: false });
    await expect(rest?.next()).resolves.toEqual({ value: undefined, done: true });
    expect(closed).toBe(true);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        yield 'data: one\n\ndata: two\n\n';
        yield 'data: three\n\n';
      } finally {
        closed = true;
      }
    }
    for await (const payload of sseDataPayloads(source(), () => undefined)) {
      expect(payload).toBe('one');
      break;
    }
    expect(closed).toBe(true);
  });

  it('yields nothing for a stream of comments and an empty stream', async () => {
    await expect(collect([': ping\n\n: ping\n\n'])).resolves.toEqual([]);
    await expect(collect([])).resolves.toEqual([]);
  });

  it('passes an empty data field on as an empty payload', async () => {
    await expect(collect(['data:\n\ndata: x\n\n'])).resolves.toEqual(['', 'x']);
  });
});

describe('sseDataPayloads with mixed line endings', () => {
  it.each([
    ['LF then CRLF', 'data: a\n\r\ndata: b\r\n\r\n'],
    ['CRLF then CR', 'data: a\r\n\rdata: b\r\r'],
    ['CR then LF-LF', 'data: a\r\ndata: b\n\n'],
  ])('keeps two events apart (%s), at every chunk split', async (_label, text) => {
    const expected = text.startsWith('data: a\r\ndata: b') ? ['a\nb'] : ['a', 'b'];
    for (const parts of splits(Buffer.from(text))) {
      expect(await collect(parts)).toEqual(expected);
    }
  });
});
