import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import type { Sent } from './http';

/** What the contract says the proxy must answer to one generated request. */
export interface ProxyExpectation {
  status: number;
  /** error.code of the answer (error answers only). */
  code?: string;
  /** error.param, when the contract names the faulty field. */
  param?: string | null;
  /** Whether a usage row must be written for it (the request passed authentication). */
  recorded: boolean;
}

export interface ProxyCase {
  kind: string;
  req: Sent;
  expect: ProxyExpectation;
}

/** Models of the fuzz stack: `echo` (built in) and `up` (the fake upstream, answering normally). */
export const FUZZ_MODELS = { echo: { provider: 'echo' }, up: { provider: 'fake', model: 'normal' } };
const KNOWN_MODELS = Object.keys(FUZZ_MODELS);
export const PATH = '/v1/chat/completions';
/** proxy.max_body_mb of the fuzz stack. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Strings hostile to SQL, HTML, logs and terminals, mixed into generated text. */
export const NASTY = [
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  "admin'--",
  '%00',
  '\u0000',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{constructor.constructor("alert(1)")()}}',
  '${7*7}',
  '../../etc/passwd',
  '\r\nSet-Cookie: x=y',
  '\u202e\u0007\u001b[31m',
  '😀👍🏽',
  'Ω≈ç√∫',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u2028\u2029',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '0x7fffffff',
  '-1',
  '1e309',
  ' ',
  '\t',
];

/** Any text: unicode (lone surrogates too), hostile fragments, or plain words. */
export const text = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ maxLength }),
    fc.constantFrom(...NASTY),
    fc.array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 6 }).map((a) => a.join('')),
  );

/** A finite double: NaN and ±Infinity would become null in JSON, which means "absent". */
const finite = (constraints: fc.DoubleConstraints = {}) => fc.double({ noNaN: true, noDefaultInfinity: true, ...constraints });

/** A JSON value that is not an object (for fields that must be objects, and the top level). */
const nonObject = fc.oneof(fc.constant(null), fc.boolean(), finite(), fc.integer(), text(), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }));
/** A JSON value that is neither null nor a boolean (null means "absent" for optional fields). */
const nonBoolean = fc.oneof(
  finite(),
  fc.integer(),
  text(),
  fc.constantFrom('true', 'false', 0, 1),
  fc.array(fc.boolean(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const notAWholeNumberFromOne = fc.oneof(fc.integer({ max: 0 }), finite({ noInteger: true }), fc.constantFrom('3', '1', true, [], {}, 1.5, -0.5, 0));
const notANumber = fc.oneof(text(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));

/** A request body the contract accepts (messages of any text, optional fields of the right type). */
const validBody = fc.record(
  {
    model: fc.constantFrom(...KNOWN_MODELS),
    messages: fc.array(
      fc.record({ role: fc.constantFrom('user', 'system', 'assistant', 'tool', 'whatever'), content: fc.oneof(text(200), fc.constant(null)) }),
      { minLength: 1, maxLength: 4 },
    ),
    stream: fc.oneof(fc.boolean(), fc.constant(null)),
    max_tokens: fc.integer({ min: 1, max: 50 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    // Unknown fields are passed through to the upstream.
    x_unknown: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: ['model', 'messages'] },
);

type Defect = { body: Record<string, unknown> | unknown[]; status: number; code: string; param: string | null };

/** A valid body with exactly one defect, and the answer the contract prescribes for it. */
const defectiveBody: fc.Arbitrary<Defect> = fc.oneof(
  // The top level is not an object.
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }).map((body) => ({ body, status: 400, code: 'invalid_request', param: null })),
  // model: missing, of the wrong type, blank or too long.
  validBody.map(({ model: _model, ...rest }) => ({ body: rest, status: 400, code: 'invalid_request', param: 'model' })),
  fc
    .tuple(
      validBody,
      fc.oneof(
        nonObject.filter((v) => typeof v !== 'string'),
        fc.constantFrom('', ' ', '\t\n', '\u00a0\u2028'),
        fc.string({ minLength: 201, maxLength: 400 }).filter((s) => s.trim() !== ''),
      ),
    )
    .map(([b, model]) => ({ body: { ...b, model }, status: 400, code: 'invalid_request', param: 'model' })),
  // An unknown model: 404.
  fc
    .tuple(
      validBody,
      text(200).filter((m) => m.trim() !== '' && m.length <= 200 && !KNOWN_MODELS.includes(m)),
    )
    .map(([b, model]) => ({ body: { ...b, model }, status: 404, code: 'model_not_found', param: 'model' })),
  // messages: missing, not an array, empty.
  validBody.map(({ messages: _m, ...rest }) => ({ body: rest, status: 400, code: 'invalid_request', param: 'messages' })),
  fc
    .tuple(
      validBody,
      fc.oneof(
        fc.constant([]),
        nonObject.filter((v) => !Array.isArray(v)),
        fc.object({ maxDepth: 1 }),
      ),
    )
    .map(([b, messages]) => ({ body: { ...b, messages }, status: 400, code: 'invalid_request', param: 'messages' })),
  // One message that is not an object with a string role.
  fc
    .tuple(validBody, fc.oneof(nonObject, fc.record({ role: nonObject.filter((v) => typeof v !== 'string'), content: text() }), fc.record({ content: text() })))
    .map(([b, bad]) => ({ body: { ...b, messages: [...b.messages, bad] }, status: 400, code: 'invalid_request', param: `messages[${b.messages.length}]` })),
  // One message whose content is neither a string, an array, nor null.
  fc
    .tuple(validBody, fc.oneof(finite(), fc.integer(), fc.boolean(), fc.object({ maxDepth: 1 })))
    .map(([b, content]) => ({ body: { ...b, messages: [{ role: 'user', content }] }, status: 400, code: 'invalid_request', param: 'messages[0].content' })),
  // stream / stream_options / include_usage of the wrong type.
  fc.tuple(validBody, nonBoolean).map(([b, stream]) => ({ body: { ...b, stream }, status: 400, code: 'invalid_request', param: 'stream' })),
  fc
    .tuple(
      validBody,
      nonObject.filter((v) => v !== null),
    )
    .map(([b, so]) => ({ body: { ...b, stream_options: so }, status: 400, code: 'invalid_request', param: 'stream_options' })),
  fc
    .tuple(validBody, nonBoolean)
    .map(([b, iu]) => ({ body: { ...b, stream_options: { include_usage: iu } }, status: 400, code: 'invalid_request', param: 'stream_options.include_usage' })),
  // Numeric fields out of their type.
  fc
    .tuple(validBody, fc.constantFrom('max_tokens', 'max_completion_tokens', 'n'), notAWholeNumberFromOne)
    .map(([b, key, v]) => ({ body: { ...b, [key]: v }, status: 400, code: 'invalid_request', param: key })),
  fc
    .tuple(validBody, fc.constantFrom('temperature', 'top_p'), notANumber)
    .map(([b, key, v]) => ({ body: { ...b, [key]: v }, status: 400, code: 'invalid_request', param: key })),
);

/** Deep nesting: `[[[…]]]` or `{"a":{"a":…}}` text of the given depth. */
export function nested(depth: number, objects: boolean): string {
  return objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** Text that is certainly not JSON (or not allowed at the top level by the strict parser). */
const notJson: fc.Arbitrary<Buffer> = fc
  .oneof(
    // A proper prefix of an object's JSON text is never JSON.
    validBody.map((b) => JSON.stringify(b)).chain((s) => fc.integer({ min: 1, max: s.length - 1 }).map((n) => s.slice(0, n))),
    fc.tuple(validBody, fc.constantFrom(' x', ',', '}', ']', '{}', ' //', "'")).map(([b, tail]) => JSON.stringify(b) + tail),
    fc.constantFrom(
      'null',
      'true',
      '1',
      '"a string"',
      '-0',
      "{'model':'echo'}",
      '{"model":"echo",}',
      '{model:"echo"}',
      'NaN',
      '{"a":NaN}',
      '{"a":1e999999999999}x',
      '\u0000{}',
      '<xml/>',
      '{"a":"\\u12"}',
      '{"a":"\\x41"}',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).map((s) => `@${s}`),
  )
  .map((s) => Buffer.from(s, 'utf8'))
  .filter((b) => {
    try {
      const v: unknown = JSON.parse(b.toString('utf8'));
      return typeof v !== 'object' || v === null; // primitives: refused by the strict parser
    } catch {
      return true;
    }
  });

/** Bytes that are not UTF-8 inside a JSON string: decoded as U+FFFD, so the body is valid. */
const invalidUtf8Body = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => {
  const safe = Buffer.from(bytes.map((b) => (b === 0x22 || b === 0x5c || b < 0x20 ? 0xff : b)));
  return Buffer.concat([Buffer.from('{"model":"echo","messages":[{"role":"user","content":"'), safe, Buffer.from('"}]}')]);
});

/** A body over max_body_mb (valid JSON otherwise): 413 before anything else. */
const oversized = fc
  .integer({ min: 1, max: 64 * 1024 })
  .map((extra) => Buffer.from(JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY_BYTES + extra) }] })));

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Headers with the given Authorization values (none: no header) and any extra pairs. */
function headers(auth: readonly string[], extra: readonly string[] = [], contentType: string | null = 'application/json'): string[] {
  const out: string[] = [];
  for (const a of auth) out.push('authorization', a);
  if (contentType !== null) out.push('content-type', contentType);
  return [...out, ...extra];
}

/** Odd but harmless headers: the request stays valid. */
const harmlessExtras: fc.Arbitrary<{ extra: readonly string[]; contentType: string | null }> = fc.oneof(
  fc.constant({ extra: [], contentType: 'application/json' }),
  fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '*/*',
      'garbage',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
    )
    .map((contentType) => ({ extra: [], contentType })),
  fc.constant({ extra: [], contentType: null }),
  fc.integer({ min: 1, max: 12 * 1024 }).map((n) => ({ extra: ['x-filler', 'f'.repeat(n)], contentType: 'application/json' })),
  fc
    .integer({ min: 20, max: 150 })
    .map((n) => ({ extra: Array.from({ length: n }, (_, i) => [`x-h-${i}`, String(i)]).flat(), contentType: 'application/json' })),
  fc.constant({ extra: ['content-encoding', 'identity'], contentType: 'application/json' }),
  fc.constant({ extra: ['accept', 'text/event-stream'], contentType: 'application/json' }),
);

/** The body sent with a header that makes the server decode it differently. */
const decodingDefects: fc.Arbitrary<{ body: Buffer; extra: readonly string[]; contentType: string; status: number; code: string; ok?: true }> = fc.oneof(
  // An unsupported charset or content encoding: 400 invalid_request.
  fc.constantFrom('latin1', 'iso-8859-1', 'ascii', 'foo', 'utf-0').map((cs) => ({
    body: json({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    extra: [],
    contentType: `application/json; charset=${cs}`,
    status: 400,
    code: 'invalid_request',
  })),
  fc.constantFrom('x-unknown', 'compress', 'gzip, zstd').map((ce) => ({
    body: json({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    extra: ['content-encoding', ce],
    contentType: 'application/json',
    status: 400,
    code: 'invalid_request',
  })),
  // Claimed compression that is not: 400.
  fc.constantFrom('gzip', 'deflate', 'br').map((ce) => ({
    body: json({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    extra: ['content-encoding', ce],
    contentType: 'application/json',
    status: 400,
    code: 'invalid_request',
  })),
  // A UTF-16 or UTF-32 charset on UTF-8 bytes: not JSON any more.
  fc.constantFrom('utf-16', 'utf-16le', 'utf-16be', 'utf-32').map((cs) => ({
    body: json({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    extra: [],
    contentType: `application/json; charset=${cs}`,
    status: 400,
    code: 'invalid_json',
  })),
);

/** Node's limit on the request line plus headers (http.maxHeaderSize). */
export const HEADER_LIMIT = 16 * 1024;

/** About the bytes of the request line and headers as sent (undici adds host, connection, content-length). */
export function headerBytes(req: Sent): number {
  let n = `${req.method} ${req.path} HTTP/1.1\r\n`.length + 100;
  for (let i = 0; i < req.headers.length; i += 2) n += Buffer.byteLength(`${req.headers[i]}: ${req.headers[i + 1]}\r\n`, 'latin1');
  return n;
}

/**
 * Requests whose headers pass Node's limit are refused by the HTTP parser with 431 (in the
 * server's error shape) before anything else; those within a few hundred bytes of the limit
 * are not generated (the exact count depends on the client's own headers).
 */
export function withHeaderLimit<C extends { kind: string; req: Sent; expect: object }>(arb: fc.Arbitrary<C>, tooLarge: C['expect']): fc.Arbitrary<C> {
  return arb
    .filter((c) => Math.abs(headerBytes(c.req) - HEADER_LIMIT) > 300)
    .map((c) => (headerBytes(c.req) > HEADER_LIMIT ? { ...c, kind: `${c.kind}+headers-too-large`, expect: tooLarge } : c));
}

export interface ProxyCaseOptions {
  /** A valid dashboard token; null: the cases send none that works. */
  token: string | null;
}

/**
 * Requests against POST /v1/chat/completions and what the contract says about each.
 * With a token: one defect each (body, decoding, headers, method), plus valid requests with
 * odd but harmless input. Without one: the same bodies with missing, malformed, unknown,
 * duplicated or overlong Authorization headers.
 */
export function proxyCases(options: ProxyCaseOptions): fc.Arbitrary<ProxyCase> {
  return withHeaderLimit(proxyCasesWithinLimits(options), { status: 431, code: 'invalid_request', param: null, recorded: false });
}

function proxyCasesWithinLimits({ token }: ProxyCaseOptions): fc.Arbitrary<ProxyCase> {
  const wellFormedUnknown = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => `sk-lmarena-${s}`);
  const badAuth: fc.Arbitrary<readonly string[]> = fc.oneof(
    fc.constant([]),
    fc.constantFrom([''], ['Bearer'], ['Bearer '], ['Basic YWRtaW46YWRtaW4='], ['Bearer  two  spaces'], ['Token abc'], ['bearer'], ['Bearer a b']),
    wellFormedUnknown.map((t) => [`Bearer ${t}`]),
    fc.string({ maxLength: 80 }).map((s) => [`Bearer ${s}`]),
    fc.integer({ min: 1000, max: 12_000 }).map((n) => [`Bearer sk-lmarena-${'A'.repeat(n)}`]),
    ...(token
      ? [
          // One character changed, or the valid token second after a bad one (the first counts).
          fc.integer({ min: 11, max: token.length - 1 }).map((i) => [`Bearer ${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`]),
          wellFormedUnknown.map((t) => [`Bearer ${t}`, `Bearer ${token}`]),
          fc.constant([`Bearer ${token}x`]),
          fc.constant([`${token}`]),
        ]
      : []),
  );

  if (token === null) {
    // Without a usable token: 401 from the headers alone, whatever the body holds (issue 12:
    // the body of a refused request is not read, so its defects cannot come first).
    return fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(
            badAuth,
            fc.oneof(
              validBody.map(json),
              defectiveBody.map((d) => json(d.body)),
            ),
            harmlessExtras,
          )
          .map(([auth, body, h]) => ({
            kind: 'no-token',
            req: { method: 'POST', path: PATH, headers: headers(auth, h.extra, h.contentType), body },
            expect: { status: 401, code: 'invalid_api_key', param: null, recorded: false },
          })),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(badAuth, notJson).map(([auth, body]) => ({
          kind: 'no-token-not-json',
          req: { method: 'POST', path: PATH, headers: headers(auth), body },
          expect: { status: 401, code: 'invalid_api_key', param: null, recorded: false },
        })),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(badAuth, decodingDefects).map(([auth, d]) => ({
          kind: 'no-token-decoding',
          req: { method: 'POST', path: PATH, headers: headers(auth, d.extra, d.contentType), body: d.body },
          expect: { status: 401, code: 'invalid_api_key', param: null, recorded: false },
        })),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(badAuth, oversized).map(([auth, body]) => ({
          kind: 'no-token-oversized',
          req: { method: 'POST', path: PATH, headers: headers(auth), body },
          expect: { status: 401, code: 'invalid_api_key', param: null, recorded: false },
        })),
      },
    );
  }

  const auth = [`Bearer ${token}`];
  return fc.oneof(
    {
      weight: 10,
      arbitrary: defectiveBody.map((d) => ({
        kind: `defect:${d.param ?? 'top'}`,
        req: { method: 'POST', path: PATH, headers: headers(auth), body: json(d.body) },
        expect: { status: d.status, code: d.code, param: d.param, recorded: true },
      })),
    },
    {
      weight: 3,
      arbitrary: notJson.map((body) => ({
        kind: 'not-json',
        req: { method: 'POST', path: PATH, headers: headers(auth), body },
        expect: { status: 400, code: 'invalid_json', param: null, recorded: false },
      })),
    },
    {
      weight: 2,
      arbitrary: decodingDefects.map((d) => ({
        kind: 'decoding',
        req: { method: 'POST', path: PATH, headers: headers(auth, d.extra, d.contentType), body: d.body },
        expect: { status: d.status, code: d.code, param: null, recorded: false },
      })),
    },
    {
      weight: 1,
      arbitrary: oversized.map((body) => ({
        kind: 'oversized',
        req: { method: 'POST', path: PATH, headers: headers(auth), body },
        expect: { status: 413, code: 'payload_too_large', param: null, recorded: false },
      })),
    },
    // Deep nesting in a passed-through field: echo ignores it; forwarding it must not fail
    // with a 5xx (a 400 when it is too deep to serialize).
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('echo', 'up'), fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 20_000, max: 100_000 })), fc.boolean())
        .map(([model, depth, objects]) => ({
          kind: `deep:${model}:${depth > 1000 ? 'deep' : 'shallow'}`,
          req: {
            method: 'POST',
            path: PATH,
            headers: headers(auth),
            body: Buffer.from(`{"model":"${model}","messages":[{"role":"user","content":"deep"}],"x_deep":${nested(depth, objects)}}`),
          },
          expect: model === 'up' && depth > 1000 ? { status: 400, code: 'invalid_request', param: null, recorded: true } : { status: 200, recorded: true },
        })),
    },
    // Valid requests with hostile text and odd but harmless headers.
    {
      weight: 3,
      arbitrary: fc.tuple(validBody, harmlessExtras).map(([body, h]) => ({
        kind: 'valid',
        req: { method: 'POST', path: PATH, headers: headers(auth, h.extra, h.contentType), body: json(body) },
        expect: { status: 200, recorded: true },
      })),
    },
    {
      weight: 1,
      arbitrary: invalidUtf8Body.map((body) => ({
        kind: 'invalid-utf8-in-string',
        req: { method: 'POST', path: PATH, headers: headers(auth), body },
        expect: { status: 200, recorded: true },
      })),
    },
    {
      weight: 1,
      arbitrary: validBody.map((body) => ({
        kind: 'gzip',
        req: { method: 'POST', path: PATH, headers: headers(auth, ['content-encoding', 'gzip']), body: gzipSync(json(body)) },
        expect: { status: 200, recorded: true },
      })),
    },
    // Authorization variants that still carry the token.
    {
      weight: 1,
      arbitrary: fc
        .tuple(validBody, fc.constantFrom([`bearer ${token}`], [`BEARER ${token}`], [`Bearer ${token}`, 'Bearer junk'], [`Bearer ${token}  `]))
        .map(([body, a]) => ({
          kind: 'auth-variant-ok',
          req: { method: 'POST', path: PATH, headers: headers(a), body: json(body) },
          expect: { status: 200, recorded: true },
        })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(badAuth, validBody).map(([a, body]) => ({
        kind: 'bad-auth',
        req: { method: 'POST', path: PATH, headers: headers(a), body: json(body) },
        expect: { status: 401, code: 'invalid_api_key', param: null, recorded: false },
      })),
    },
    // Wrong method or path: 404 in the OpenAI shape.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'),
          fc.constantFrom(
            PATH,
            '/v1/chat',
            '/v1/completions',
            '/v1/chat/completions/x',
            '/v2/chat/completions',
            '/%2e%2e/v1/chat/completions',
            '/v1/chat/completions%00',
          ),
        )
        .map(([method, path]) => ({
          kind: 'wrong-route',
          req: { method, path, headers: headers(auth) },
          expect: { status: 404, code: 'not_found', param: null, recorded: false },
        })),
    },
  );
}
