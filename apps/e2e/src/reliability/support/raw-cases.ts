import fc from 'fast-check';

export type Server = 'proxy' | 'dashboard';

/** A request written byte by byte, and the status the server must answer it with. */
export interface RawCase {
  kind: string;
  server: Server;
  bytes: Buffer;
  status: number;
  /** Refused by Node's HTTP parser (answered by the server's clientError handler). */
  parser: boolean;
}

const CRLF = '\r\n';
const JSON_BODY = '{"model":"echo","messages":[{"role":"user","content":"hi"}]}';

/** The target of each server: a route that reads a JSON body and needs credentials. */
const TARGET: Record<Server, { method: string; path: string; appStatus: number }> = {
  // No valid token in any raw request: 401 once the request is valid HTTP.
  proxy: { method: 'POST', path: '/v1/chat/completions', appStatus: 401 },
  // No session: 401.
  dashboard: { method: 'POST', path: '/api/tokens', appStatus: 401 },
};

interface Parts {
  line: string;
  headers: Array<[string, string]>;
  body: string;
}

function base(server: Server): Parts {
  const t = TARGET[server];
  return {
    line: `${t.method} ${t.path} HTTP/1.1`,
    headers: [
      ['Host', 'localhost'],
      ['Content-Type', 'application/json'],
      ['Content-Length', String(Buffer.byteLength(JSON_BODY, 'latin1'))],
      ['Connection', 'close'],
    ],
    body: JSON_BODY,
  };
}

const bytes = (p: Parts, eol = CRLF) => Buffer.from(`${p.line}${eol}${p.headers.map(([n, v]) => `${n}: ${v}`).join(eol)}${eol}${eol}${p.body}`, 'latin1');

const insertAt = (s: string, i: number, x: string) => s.slice(0, i) + x + s.slice(i);

/** Defects Node's HTTP parser refuses (400, or 431 for sizes), each applied to a valid request. */
const parserDefects: Array<[string, fc.Arbitrary<(p: Parts) => Parts>, number]> = [
  [
    'control byte in a header value',
    fc
      .tuple(fc.constantFrom(0, 1, 2, 8, 0x0b, 0x0c, 0x1b, 0x1f), fc.nat(20))
      .map(([c, i]) => (p: Parts) => ({ ...p, headers: [...p.headers, ['X-Test', insertAt('value-with-a-byte', i % 17, String.fromCharCode(c))]] })),
    400,
  ],
  [
    'bad byte in a header name',
    fc
      .tuple(fc.constantFrom(' ', '(', ')', '<', '>', '@', ',', ';', '\\', '"', '/', '[', ']', '?', '=', '{', '}', '\u00e9', '\u00ff', '\u0000'), fc.nat(6))
      .map(([c, i]) => (p: Parts) => ({ ...p, headers: [...p.headers, [insertAt('X-Name', i % 6, c), 'v']] })),
    400,
  ],
  [
    'obsolete line folding',
    fc.constantFrom(' ', '\t').map((ws) => (p: Parts) => ({ ...p, headers: [...p.headers, ['X-Folded', `first${CRLF}${ws}second`]] })),
    400,
  ],
  ['Content-Length and Transfer-Encoding', fc.constant((p: Parts) => ({ ...p, headers: [...p.headers, ['Transfer-Encoding', 'chunked']] })), 400],
  [
    'two different Content-Lengths',
    fc.integer({ min: 1, max: 9 }).map((d) => (p: Parts) => ({ ...p, headers: [...p.headers, ['Content-Length', String(p.body.length + d)]] })),
    400,
  ],
  [
    'a Content-Length that is not a number',
    fc
      .constantFrom('-1', 'abc', '0x10', '1e3', '5 5', '+5')
      .map((v) => (p: Parts) => ({ ...p, headers: p.headers.map(([n, x]) => (n === 'Content-Length' ? [n, v] : [n, x])) })),
    400,
  ],
  [
    'a Transfer-Encoding that does not end in chunked',
    fc
      .constantFrom('gzip', 'chunked, gzip', 'identity', 'foo')
      .map((v) => (p: Parts) => ({ ...p, headers: [...p.headers.filter(([n]) => n !== 'Content-Length'), ['Transfer-Encoding', v]] })),
    400,
  ],
  [
    'a chunk size that is not hex',
    fc.constantFrom('zz', '-1', ' ', 'g', '1;\u0000').map((size) => (p: Parts) => ({
      ...p,
      headers: [...p.headers.filter(([n]) => n !== 'Content-Length'), ['Transfer-Encoding', 'chunked']],
      body: `${size}${CRLF}abc${CRLF}0${CRLF}${CRLF}`,
    })),
    400,
  ],
  [
    'a bad request line',
    fc
      .constantFrom('HTTP/1.2', 'HTTP/9.9', 'HTTPS/1.1', 'http/1.1', 'HTTP/1.')
      .map((v) => (p: Parts) => ({ ...p, line: p.line.replace('HTTP/1.1', v).trimEnd() })),
    400,
  ],
  ['a bad method', fc.constantFrom('FOO', 'post', 'P0ST', 'POST\u0000', 'GE T').map((m) => (p: Parts) => ({ ...p, line: p.line.replace(/^\S+/, m) })), 400],
  [
    'a space or raw byte in the path',
    fc.tuple(fc.constantFrom(' ', '\u00e9', '\u00ff', '\u0001', '\u007f'), fc.nat(10)).map(([c, i]) => (p: Parts) => {
      const [m, path, v] = p.line.split(' ');
      return { ...p, line: `${m} ${insertAt(path, 1 + (i % (path.length - 1)), c)} ${v}` };
    }),
    400,
  ],
  ['bare LF line ends', fc.constant((p: Parts) => ({ ...p, line: `${p.line}\n${p.headers.map(([n, v]) => `${n}: ${v}`).join('\n')}\n`, headers: [] })), 400],
  [
    'headers over 16 KB',
    fc.integer({ min: 17 * 1024, max: 40 * 1024 }).map((n) => (p: Parts) => ({ ...p, headers: [...p.headers, ['X-Big', 'b'.repeat(n)]] })),
    431,
  ],
  [
    'a path over 16 KB',
    fc.integer({ min: 17 * 1024, max: 40 * 1024 }).map((n) => (p: Parts) => ({ ...p, line: p.line.replace(' HTTP/1.1', `?q=${'q'.repeat(n)} HTTP/1.1`) })),
    431,
  ],
];

/**
 * Valid HTTP with odd bytes the application sees (and refuses for the missing credentials,
 * or, where a server's answer differs, with the status given for it).
 */
const appLevel: Array<[string, fc.Arbitrary<(p: Parts) => Parts>, Partial<Record<Server, number>>?]> = [
  [
    'latin-1 and UTF-8 bytes in Authorization and Cookie',
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => (p: Parts) => {
      const high = Buffer.from(a.map((b) => 0x80 | b)).toString('latin1');
      return { ...p, headers: [...p.headers, ['Authorization', `Bearer ${high}`], ['Cookie', `session=${high}`]] };
    }),
  ],
  [
    'a duplicated Authorization header',
    fc
      .tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }))
      .map(([a, b]) => (p: Parts) => ({ ...p, headers: [...p.headers, ['Authorization', `Bearer ${a}`], ['authorization', `Bearer ${b}`]] })),
  ],
  // The dashboard answers only to dashboard.allowed_hosts: no Host names none of them (421).
  [
    'HTTP/1.0 without Host',
    fc.constant((p: Parts) => ({ ...p, line: p.line.replace('HTTP/1.1', 'HTTP/1.0'), headers: p.headers.filter(([n]) => n !== 'Host') })),
    { dashboard: 421 },
  ],
  [
    'a chunked body',
    fc.integer({ min: 1, max: 8 }).map((k) => (p: Parts) => {
      const size = Math.ceil(p.body.length / k);
      const chunks = Array.from({ length: k }, (_, i) => p.body.slice(i * size, (i + 1) * size)).filter(Boolean);
      return {
        ...p,
        headers: [...p.headers.filter(([n]) => n !== 'Content-Length'), ['Transfer-Encoding', 'chunked']],
        body: `${chunks.map((c) => `${c.length.toString(16)}${CRLF}${c}${CRLF}`).join('')}0${CRLF}${CRLF}`,
      };
    }),
  ],
  [
    'many headers',
    fc
      .integer({ min: 50, max: 400 })
      .map((n) => (p: Parts) => ({ ...p, headers: [...p.headers, ...Array.from({ length: n }, (_, i): [string, string] => [`X-H${i}`, `${i}`])] })),
  ],
];

export function rawCases(): fc.Arbitrary<RawCase> {
  const server = fc.constantFrom<Server>('proxy', 'dashboard');
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(server, fc.oneof(...parserDefects.map(([kind, defect, status]) => defect.map((apply) => ({ kind, apply, status })))))
        .map(([s, d]) => ({
          kind: d.kind,
          server: s,
          bytes: bytes(d.apply(base(s))),
          status: d.status,
          parser: true,
        })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(server, fc.oneof(...appLevel.map(([kind, change, status]) => change.map((apply) => ({ kind, apply, status }))))).map(([s, d]) => ({
        kind: d.kind,
        server: s,
        bytes: bytes(d.apply(base(s))),
        status: d.status?.[s] ?? TARGET[s].appStatus,
        parser: false,
      })),
    },
    // Random bytes that end like a request head: never a request (the first byte is not a letter).
    {
      weight: 1,
      arbitrary: fc.tuple(server, fc.uint8Array({ minLength: 1, maxLength: 200 })).map(([s, a]) => ({
        kind: 'random bytes',
        server: s,
        bytes: Buffer.concat([Buffer.from([0x80 | (a[0] ?? 0)]), Buffer.from(a), Buffer.from(`${CRLF}${CRLF}`)]),
        status: 400,
        parser: true,
      })),
    },
  );
}
