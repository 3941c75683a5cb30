import { MAX_LINE, SiteEvent, SiteStreamParser } from './site-stream-parser';

/** The whole body in one piece. */
function parseWhole(body: string): SiteEvent[] {
  const parser = new SiteStreamParser();
  return [...parser.push(body), ...parser.end()];
}

function parsePieces(pieces: string[]): SiteEvent[] {
  const parser = new SiteStreamParser();
  const events = pieces.flatMap((piece) => parser.push(piece));
  return [...events, ...parser.end()];
}

/** The body as bytes cut at `cut`, decoded the way a streaming reader would. */
function bytePieces(body: string, cut: number): string[] {
  const bytes = Buffer.from(body, 'utf8');
  const decoder = new TextDecoder('utf-8');
  return [decoder.decode(bytes.subarray(0, cut), { stream: true }), decoder.decode(bytes.subarray(cut), { stream: true }), decoder.decode()];
}

/**
 * Every fixture is also fed split at every character (UTF-16 unit, so inside surrogate
 * pairs too) and at every UTF-8 byte boundary, and one character at a time: the events
 * must be the same as for the whole body.
 */
function expectSplitInvariant(body: string, expected: SiteEvent[]): void {
  expect(parseWhole(body)).toEqual(expected);
  for (let i = 1; i < body.length; i++) {
    const split = parsePieces([body.slice(0, i), body.slice(i)]);
    if (JSON.stringify(split) !== JSON.stringify(expected)) throw new Error(`split at character ${i} gave ${JSON.stringify(split)}`);
  }
  const byteLength = Buffer.byteLength(body, 'utf8');
  for (let cut = 1; cut < byteLength; cut++) {
    const split = parsePieces(bytePieces(body, cut));
    if (JSON.stringify(split) !== JSON.stringify(expected)) throw new Error(`split at byte ${cut} gave ${JSON.stringify(split)}`);
  }
  expect(parsePieces([...body])).toEqual(expected);
  expect(parsePieces(body.split(''))).toEqual(expected);
}

const line = (prefix: string, value: unknown) => `${prefix}:${JSON.stringify(value)}\n`;

interface Fixture {
  name: string;
  body: string;
  events: SiteEvent[];
  unrecognised?: number;
}

const FIXTURES: Fixture[] = [
  {
    name: 'text deltas (a0) with a finish (ad)',
    body: line('a0', 'Hello') + line('a0', ', wörld 🌍') + line('a0', '') + line('ad', { finishReason: 'stop' }),
    events: [
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ', wörld 🌍' },
      { type: 'finish', reason: 'stop' },
    ],
  },
  {
    name: 'reasoning deltas (ag) before the text',
    body: line('ag', 'Let me think… ') + line('ag', 'done.') + line('a0', '42') + line('ad', { finishReason: 'stop' }),
    events: [
      { type: 'reasoning', text: 'Let me think… ' },
      { type: 'reasoning', text: 'done.' },
      { type: 'text', text: '42' },
      { type: 'finish', reason: 'stop' },
    ],
  },
  {
    name: 'the data: prefix, with and without its space, CRLF line ends and blank lines',
    body: `data: ${line('a0', 'one')}\r\n\r\ndata:${line('a0', 'two')}\n   \ndata: [DONE]\n`,
    events: [
      { type: 'text', text: 'one' },
      { type: 'text', text: 'two' },
    ],
  },
  {
    name: 'images (a2) and heartbeats',
    body:
      line('a2', [{ type: 'heartbeat' }]) +
      line('a2', [
        { type: 'image', image: 'https://img.example/a.png' },
        { type: 'image', image: 'https://img.example/b.png' },
      ]) +
      line('a2', [{ type: 'heartbeat' }]) +
      line('ad', { finishReason: 'stop' }),
    events: [
      { type: 'image', url: 'https://img.example/a.png' },
      { type: 'image', url: 'https://img.example/b.png' },
      { type: 'finish', reason: 'stop' },
    ],
  },
  {
    name: 'citations (ac) with one source and a list, partial arguments ignored',
    body:
      line('a0', 'See the docs.') +
      line('ac', { toolCallId: 't1', argsTextDelta: JSON.stringify({ source: { url: 'https://a.example/x', title: 'A doc' } }) }) +
      line('ac', { toolCallId: 't2', argsTextDelta: JSON.stringify({ source: [{ url: 'https://b.example/' }, { url: 'javascript:alert(1)' }] }) }) +
      line('ac', { toolCallId: 't3', argsTextDelta: '{"source": [{"url' }) +
      line('ad', { finishReason: 'stop' }),
    events: [
      { type: 'text', text: 'See the docs.' },
      { type: 'sources', sources: [{ url: 'https://a.example/x', title: 'A doc' }] },
      { type: 'sources', sources: [{ url: 'https://b.example/' }] },
      { type: 'finish', reason: 'stop' },
    ],
  },
  {
    name: 'a source part (ah)',
    body: line('a0', 'Yes.') + line('ah', { sourceType: 'url', id: 's1', url: 'https://c.example/', title: 'C' }),
    events: [
      { type: 'text', text: 'Yes.' },
      { type: 'sources', sources: [{ url: 'https://c.example/', title: 'C' }] },
    ],
  },
  {
    name: 'model B lines (b0, bg, bd) and other step lines ignored',
    body:
      line('af', { messageId: 'm' }) +
      line('b0', 'not mine') +
      line('a0', 'mine') +
      line('bg', 'x') +
      line('ae', { finishReason: 'stop', isContinued: false }) +
      line('bd', { finishReason: 'stop' }) +
      line('ad', { finishReason: 'length' }),
    events: [
      { type: 'text', text: 'mine' },
      { type: 'finish', reason: 'length' },
    ],
  },
  {
    name: "a finish with the site's usage",
    body: line('a0', 'hi') + line('ad', { finishReason: 'stop', usage: { promptTokens: 12, completionTokens: 3 } }),
    events: [
      { type: 'text', text: 'hi' },
      { type: 'finish', reason: 'stop', usage: { promptTokens: 12, completionTokens: 3 } },
    ],
  },
  {
    name: 'a finish with incomplete usage and no reason',
    body: line('a0', 'hi') + line('ad', { usage: { promptTokens: 12, completionTokens: null } }),
    events: [
      { type: 'text', text: 'hi' },
      { type: 'finish', reason: null },
    ],
  },
  {
    name: 'a content-filter finish',
    body: line('a0', 'I') + line('ad', { finishReason: 'content-filter' }),
    events: [
      { type: 'text', text: 'I' },
      { type: 'finish', reason: 'content-filter' },
    ],
  },
  {
    name: 'an error line (a3)',
    body: line('a0', 'partial') + line('a3', 'Resource exhausted: try again later'),
    events: [
      { type: 'text', text: 'partial' },
      { type: 'error', kind: 'stream', message: 'Resource exhausted: try again later' },
    ],
  },
  {
    name: 'a bare JSON error body',
    body: '{"error":"recaptcha validation failed"}',
    events: [{ type: 'error', kind: 'body', message: 'recaptcha validation failed' }],
  },
  {
    name: 'a bare JSON error body with an object and a data: prefix',
    body: 'data: {"error":{"message":"Message already has feedback","code":400}}\n',
    events: [{ type: 'error', kind: 'body', message: 'Message already has feedback' }],
  },
  {
    name: 'a pretty-printed JSON error body',
    body: '{\n  "error": "Unauthorized"\n}\n',
    events: [{ type: 'error', kind: 'body', message: 'Unauthorized' }],
  },
  {
    name: 'a Cloudflare challenge page',
    body: '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>\n<meta http-equiv="refresh" content="390">\n</head><body>Enable JavaScript and cookies to continue a0:"not text"\n</body></html>',
    events: [{ type: 'error', kind: 'cloudflare', message: 'LMArena answered with a Cloudflare check page instead of the answer' }],
  },
  {
    name: 'a Cloudflare block page',
    body: '\n<html>\n<head><title>Attention Required! | Cloudflare</title></head>\n</html>\n',
    events: [{ type: 'error', kind: 'cloudflare', message: 'LMArena answered with a Cloudflare check page instead of the answer' }],
  },
  {
    name: 'some other HTML page',
    body: '<html><body>502 Bad Gateway</body></html>',
    events: [{ type: 'error', kind: 'cloudflare', message: 'LMArena answered with a web page instead of the answer stream' }],
  },
  {
    name: 'a last line without a newline',
    body: `${line('a0', 'a')}a0:"b"`,
    events: [
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
    ],
  },
  {
    name: 'unrecognised lines counted, not shown',
    body: `${line('a0', 'ok')}a0:not json\nhello world\n{"unexpected":true}\na0:{"not":"a string"}\nzz:{"new":1}\nax:"?"\n`,
    events: [{ type: 'text', text: 'ok' }],
    unrecognised: 6,
  },
  { name: 'an empty body', body: '', events: [] },
  { name: 'only heartbeats', body: line('a2', [{ type: 'heartbeat' }]).repeat(3), events: [] },
];

describe('SiteStreamParser', () => {
  it.each(FIXTURES)('$name gives the same events however it is split', ({ body, events }) => {
    expectSplitInvariant(body, events);
  });

  it('counts unrecognised lines and keeps the first for error messages', () => {
    const fixture = FIXTURES.find((f) => f.unrecognised !== undefined) as Fixture;
    const parser = new SiteStreamParser();
    parser.push(fixture.body);
    parser.end();
    expect(parser.unrecognised).toBe(fixture.unrecognised);
    expect(parser.firstUnrecognised).toBe('a0:not json');
  });

  it('shortens a long unrecognised line', () => {
    const parser = new SiteStreamParser();
    parser.push(`${'x'.repeat(500)}\n`);
    expect(parser.firstUnrecognised).toBe(`${'x'.repeat(200)}…`);
  });

  it('emits a line as soon as it is complete', () => {
    const parser = new SiteStreamParser();
    expect(parser.push('a0:"He')).toEqual([]);
    expect(parser.push('llo"\na0:')).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(parser.push('"!"\n')).toEqual([{ type: 'text', text: '!' }]);
    expect(parser.end()).toEqual([]);
  });

  it('ignores everything after an HTML page starts', () => {
    const parser = new SiteStreamParser();
    expect(parser.push('a0:"x"\n<html>\n')).toEqual([{ type: 'text', text: 'x' }]);
    expect(parser.push('a0:"y"\n')).toEqual([]);
    expect(parser.end()).toEqual([{ type: 'error', kind: 'cloudflare', message: 'LMArena answered with a web page instead of the answer stream' }]);
  });

  it('drops a line longer than any answer line, however it arrives, and goes on after it', () => {
    const long = `a0:"${'x'.repeat(MAX_LINE)}"`;
    const body = `${line('a0', 'before')}${long}\n${line('a0', 'after')}`;
    const cuts = [1, 10, 20, MAX_LINE - 5, MAX_LINE + 3, body.length - 20];
    const ways = [
      [body],
      ...cuts.map((cut) => [body.slice(0, cut), body.slice(cut)]),
      [body.slice(0, 20), body.slice(20, MAX_LINE + 1), body.slice(MAX_LINE + 1, MAX_LINE + 30), body.slice(MAX_LINE + 30)],
    ];
    for (const pieces of ways) {
      const parser = new SiteStreamParser();
      const events = [...pieces.flatMap((piece) => parser.push(piece)), ...parser.end()];
      expect(events).toEqual([
        { type: 'text', text: 'before' },
        { type: 'text', text: 'after' },
      ]);
      expect(parser.unrecognised).toBe(1);
      expect(parser.firstUnrecognised).toBe(`a0:"${'x'.repeat(196)}…`);
    }
  });
});
