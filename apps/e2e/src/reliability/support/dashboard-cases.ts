import { isEmail } from 'class-validator';
import fc from 'fast-check';
import type { Sent } from './http';
import { nested, text } from './proxy-cases';

/** Who sends a dashboard request: a signed-in admin, a signed-in user, or nobody. */
export type As = 'admin' | 'user' | 'anonymous';

export interface DashboardCase {
  kind: string;
  as: As;
  req: Sent;
  /** The status the contract prescribes. */
  status: number;
  /** For accepted token creations: the name sent (the server trims it). */
  tokenName?: string;
}

export interface DashboardFixture {
  cookies: Record<'admin' | 'user', string>;
  adminId: number;
  userId: number;
  /** A token of the admin's (a user may not revoke it: 404). */
  adminTokenId: number;
  /** An id no user or token has. */
  missingId: number;
}

/** The dashboard's json body limit (create-app.ts). */
const BODY_LIMIT = 100 * 1024;
const PASSWORD = 'correct horse battery';

type Body = { text: string; encoding?: string; contentType?: string };
/** A body problem found before any guard runs, and the status it gets. */
type BodyDefect = { kind: string; body: Body; status: number };

/** Percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD; encodeURIComponent throws). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const asJson = (v: unknown): Body => ({ text: JSON.stringify(v) });

/** Body problems shared by every route that reads one (body-parser and the depth guard run first). */
const bodyDefects: fc.Arbitrary<BodyDefect> = fc.oneof(
  fc
    .oneof(
      fc.constantFrom('{', '{"name":', '{"name":"x",}', "{'name':'x'}", 'null', '1', '"x"', 'true', '{"a":NaN}', '[', '{"name":"\\x"}'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }).map((s) => `@${s}`),
    )
    .map((t) => ({ kind: 'not-json', body: { text: t }, status: 400 })),
  fc.tuple(fc.integer({ min: 40, max: 12_000 }), fc.boolean()).map(([d, o]) => ({ kind: 'deep', body: { text: `{"name":${nested(d, o)}}` }, status: 400 })),
  fc.integer({ min: 1, max: 10_000 }).map((n) => ({ kind: 'oversized', body: { text: JSON.stringify({ name: 'x'.repeat(BODY_LIMIT + n) }) }, status: 413 })),
  fc
    .constantFrom('latin1', 'ascii', 'foo')
    .map((cs) => ({ kind: 'charset', body: { text: '{"name":"x"}', contentType: `application/json; charset=${cs}` }, status: 415 })),
  fc.constantFrom('x-unknown', 'compress').map((ce) => ({ kind: 'content-encoding', body: { text: '{"name":"x"}', encoding: ce }, status: 415 })),
  fc.constantFrom('gzip', 'deflate', 'br').map((ce) => ({ kind: 'not-compressed', body: { text: '{"name":"x"}', encoding: ce }, status: 400 })),
);

/** Fields of the wrong type. */
const notAString = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
const hostile = text(60);
/**
 * A key the DTO does not know (forbidNonWhitelisted: 400). Not generated: `__proto__`,
 * `constructor` and `prototype` (dropped by the ValidationPipe before the whitelist check) and
 * the other names of Object.prototype (`valueOf`, `toString`, …: class-validator looks keys up
 * in a plain object, finds the inherited member and takes them as known). Harmless: the
 * services never spread a body into an entity, and the request is then valid.
 */
const unknownKey = (...known: string[]) =>
  fc
    .oneof(fc.constantFrom('role', 'id', 'admin', '__proto__x', 'prototypes', 'disabled', 'user_id', 'token'), fc.string({ minLength: 1, maxLength: 10 }))
    .filter((k) => !known.includes(k) && k !== 'prototype' && !(k in {}));
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** validator.js throws on some strings (encodeURI of a lone surrogate): those are not emails either. */
const emailLike = (s: string) => {
  try {
    return isEmail(s);
  } catch {
    return false;
  }
};

/** Register bodies with exactly one defect: always 400 before any password is hashed. */
const registerDefects: fc.Arbitrary<Record<string, unknown>> = (() => {
  const valid = fc.record({ username: fc.stringMatching(/^[a-z0-9_.-]{3,32}$/), email: fc.constant('fuzz@example.com'), password: fc.constant(PASSWORD) });
  const badUsername = fc.oneof(
    notAString,
    fc.stringMatching(/^[a-z]{0,2}$/),
    fc.string({ minLength: 33, maxLength: 60 }),
    hostile.filter((s) => !/^[A-Za-z0-9_.-]{3,32}$/.test(s)),
  );
  const badEmail = fc.oneof(
    notAString,
    hostile.filter((s) => !emailLike(s)),
    fc.constantFrom('a@', '@b.com', 'a@b', 'a b@c.com', `${'a'.repeat(250)}@example.com`),
  );
  const badPassword = fc.oneof(
    notAString,
    fc.string({ maxLength: 7 }),
    fc.integer({ min: 73, max: 200 }).map((n) => 'p'.repeat(n)),
    fc.constant('😀'.repeat(19)),
  );
  return fc.oneof(
    fc.tuple(valid, badUsername).map(([b, username]) => ({ ...b, username })),
    fc.tuple(valid, badEmail).map(([b, email]) => ({ ...b, email })),
    fc.tuple(valid, badPassword).map(([b, password]) => ({ ...b, password })),
    fc.tuple(valid, fc.constantFrom('username', 'email', 'password')).map(([b, k]) => Object.fromEntries(Object.entries(b).filter(([key]) => key !== k))),
    fc.tuple(valid, unknownKey('username', 'email', 'password'), fc.jsonValue({ maxDepth: 1 })).map(([b, k, v]) => ({ ...b, [k]: v })),
  );
})();

/** Login bodies the DTO refuses: 400 without any bcrypt work. */
const loginDefects: fc.Arbitrary<Record<string, unknown>> = (() => {
  const valid = fc.record({
    username: hostile.filter((s) => s.length >= 1 && s.length <= 254 && !s.includes('\u0000')),
    password: fc.constant('wrong password'),
  });
  return fc.oneof(
    fc.tuple(valid, fc.oneof(notAString, fc.constant(''), fc.string({ minLength: 255, maxLength: 300 }))).map(([b, username]) => ({ ...b, username })),
    fc
      .tuple(
        valid,
        fc.oneof(
          notAString,
          fc.constant(''),
          fc.integer({ min: 1025, max: 1100 }).map((n) => 'p'.repeat(n)),
        ),
      )
      .map(([b, password]) => ({ ...b, password })),
    fc.tuple(valid, fc.constantFrom('username', 'password')).map(([b, k]) => Object.fromEntries(Object.entries(b).filter(([key]) => key !== k))),
    fc.tuple(valid, unknownKey('username', 'password'), fc.jsonValue({ maxDepth: 1 })).map(([b, k, v]) => ({ ...b, [k]: v })),
  );
})();

/** Token names the API accepts: 1 to 100 characters once trimmed, any script, any markup. */
const acceptableName = fc
  .oneof(
    hostile,
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    fc.constantFrom("'; DROP TABLE api_tokens; --", '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '😀👍🏽', 'Ω≈ç√∫', '  padded  '),
  )
  .filter((s) => s.trim().length >= 1 && s.trim().length <= 100 && !LONE_SURROGATE.test(s) && !s.includes('\u0000'));

/** Token bodies with one defect: 400. */
const tokenDefects: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({
    name: fc.oneof(
      notAString,
      fc.constant(''),
      fc.constantFrom(' ', '\t\n', '\u00a0'),
      fc.string({ minLength: 101, maxLength: 150 }),
      fc.constantFrom('a\u0000b', '\ud800', 'x\udfffy'),
    ),
  }),
  fc.constant({}),
  fc
    .tuple(
      acceptableName,
      fc.oneof(
        fc.constant(null),
        fc.integer(),
        fc.constantFrom(
          'tomorrow',
          '2020-01-01T00:00:00Z',
          '2099-02-30T00:00:00Z',
          '2099-13-01T00:00:00Z',
          '+275760-09-13T00:00:00Z',
          '2099-01-01 00:00:00',
          '',
        ),
        hostile,
      ),
    )
    .map(([name, expires_at]) => ({ name, expires_at })),
  fc
    .tuple(acceptableName, fc.oneof(fc.constant(null), fc.integer({ max: 0 }), fc.integer({ min: 3651 }), fc.constantFrom(1.5, '5', true, [], {})))
    .map(([name, expires_in_days]) => ({ name, expires_in_days })),
  acceptableName.map((name) => ({ name, expires_in_days: 5, expires_at: '2099-01-01T00:00:00Z' })),
  fc
    .tuple(acceptableName, unknownKey('name', 'expires_at', 'expires_in_days', 'limits'), fc.jsonValue({ maxDepth: 1 }))
    .map(([name, k, v]) => ({ name, [k]: v })),
);

/** PATCH /api/admin/users/:id bodies with one defect: 400. */
const patchDefects: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constant({}),
  fc.record({ disabled: fc.oneof(fc.constant(null), fc.constantFrom('true', 'false', 0, 1, [], {}), hostile) }),
  fc.record({
    role: fc.oneof(
      fc.constant(null),
      fc.constantFrom('ADMIN', 'superuser', '', 'admin ', 1, true, ['admin']),
      hostile.filter((s) => s !== 'admin' && s !== 'user'),
    ),
  }),
  fc.tuple(unknownKey('disabled', 'role', 'limits'), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => ({ disabled: false, [k]: v })),
);

/** Route ids ParseIdPipe refuses: 400. */
const badId = fc.oneof(
  fc.constantFrom('0', '-1', '1.5', '1e3', '0x10', '2147483648', '99999999999', 'abc', '%00', '%20', '1%20', 'null', 'NaN', '%F0%9F%98%80'),
  hostile.filter((s) => !/^\d{1,10}$/.test(s) && s !== '').map(pct),
);

function request(as: As, fixture: DashboardFixture, method: string, path: string, body?: Body, origin?: string): Sent {
  const headers: string[] = [];
  if (as !== 'anonymous') headers.push('cookie', `session=${fixture.cookies[as]}`);
  if (origin) headers.push('origin', origin);
  if (body) {
    headers.push('content-type', body.contentType ?? 'application/json');
    if (body.encoding) headers.push('content-encoding', body.encoding);
  }
  return { method, path, headers, body: body?.text };
}

/**
 * Requests against register, login, tokens and admin PATCH, each with one thing wrong, and
 * the status the contract gives it. The order of checks is: body parser (400/413/415), body
 * depth (400), cross-origin writes (403), session (401), role (403), validation (400), then
 * the service (404 not found or not yours, 409 last admin). Valid token creations with
 * hostile names are the only accepted requests (201), and are tracked by the caller.
 */
export function dashboardCases(f: DashboardFixture): fc.Arbitrary<DashboardCase> {
  const as = fc.constantFrom<As>('admin', 'user', 'anonymous');
  const signedIn = fc.constantFrom<As>('admin', 'user');
  const foreignOrigin = fc.constantFrom('http://evil.example', 'null', 'https://127.0.0.1.evil.example', 'http://localhost:1', 'file://');
  const c = (kind: string, who: As, req: Sent, status: number, tokenName?: string): DashboardCase => ({
    kind,
    as: who,
    req,
    status,
    ...(tokenName !== undefined ? { tokenName } : {}),
  });
  const routes = fc.constantFrom(
    ['POST', '/api/auth/register', false],
    ['POST', '/api/auth/login', false],
    ['POST', '/api/tokens', true],
    ['PATCH', `/api/admin/users/${f.userId}`, true],
  ) as fc.Arbitrary<[string, string, boolean]>;

  return fc.oneof(
    // Body problems: the same answer on every route, signed in or not.
    {
      weight: 40,
      arbitrary: fc.tuple(routes, as, bodyDefects).map(([[method, path], who, d]) => c(`body:${d.kind}`, who, request(who, f, method, path, d.body), d.status)),
    },
    // Cross-origin writes: 403 before the session is looked at.
    {
      weight: 10,
      arbitrary: fc
        .tuple(routes, as, foreignOrigin)
        .map(([[method, path], who, origin]) => c('cross-origin', who, request(who, f, method, path, asJson({ name: 'x' }), origin), 403)),
    },
    // Routes that need a session, without one (or with a made-up cookie).
    {
      weight: 20,
      arbitrary: fc
        .tuple(
          routes.filter(([, , needsSession]) => needsSession),
          fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), hostile.map(pct)),
        )
        .map(([[method, path], cookie]) => ({
          ...c('no-session', 'anonymous', request('anonymous', f, method, path, asJson({ name: 'x', disabled: true })), 401),
          req: {
            method,
            path,
            headers: ['cookie', `session=${cookie}`, 'content-type', 'application/json'],
            body: JSON.stringify({ name: 'x', disabled: true }),
          },
        })),
    },
    {
      weight: 40,
      arbitrary: fc.tuple(as, registerDefects).map(([who, b]) => c('register', who, request(who, f, 'POST', '/api/auth/register', asJson(b)), 400)),
    },
    { weight: 40, arbitrary: fc.tuple(as, loginDefects).map(([who, b]) => c('login', who, request(who, f, 'POST', '/api/auth/login', asJson(b)), 400)) },
    // Well-formed wrong credentials (bcrypt runs at cost 12: a few of them only).
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('admin', 'fuzzuser', 'admin@example.com', 'nobody'),
          fc.string({ minLength: 1, maxLength: 72 }).filter((p) => p !== PASSWORD),
        )
        .map(([username, password]) => c('login-wrong', 'anonymous', request('anonymous', f, 'POST', '/api/auth/login', asJson({ username, password })), 401)),
    },
    // Registering a taken name or email: 409 (after hashing the password: a few only).
    {
      weight: 1,
      arbitrary: fc
        .constantFrom({ username: 'ADMIN', email: 'other@example.com' }, { username: 'someone_else', email: 'FUZZUSER@example.com' })
        .map((b) => c('register-taken', 'anonymous', request('anonymous', f, 'POST', '/api/auth/register', asJson({ ...b, password: PASSWORD })), 409)),
    },
    {
      weight: 50,
      arbitrary: fc.tuple(signedIn, tokenDefects).map(([who, b]) => c('token-defect', who, request(who, f, 'POST', '/api/tokens', asJson(b)), 400)),
    },
    // Accepted: a token with a hostile name.
    {
      weight: 30,
      arbitrary: fc
        .tuple(signedIn, acceptableName, fc.option(fc.integer({ min: 1, max: 3650 }), { nil: undefined }))
        .map(([who, name, days]) =>
          c('token-created', who, request(who, f, 'POST', '/api/tokens', asJson(days === undefined ? { name } : { name, expires_in_days: days })), 201, name),
        ),
    },
    { weight: 20, arbitrary: fc.tuple(signedIn, badId).map(([who, id]) => c('revoke-bad-id', who, request(who, f, 'DELETE', `/api/tokens/${id}`), 400)) },
    { weight: 20, arbitrary: signedIn.map((who) => c('revoke-missing', who, request(who, f, 'DELETE', `/api/tokens/${f.missingId}`), 404)) },
    { weight: 10, arbitrary: fc.constant(c('revoke-not-yours', 'user', request('user', f, 'DELETE', `/api/tokens/${f.adminTokenId}`), 404)) },
    {
      weight: 40,
      arbitrary: fc
        .tuple(fc.constantFrom(f.userId, f.adminId, f.missingId), patchDefects)
        .map(([id, b]) => c('patch-defect', 'admin', request('admin', f, 'PATCH', `/api/admin/users/${id}`, asJson(b)), 400)),
    },
    {
      weight: 20,
      arbitrary: fc
        .tuple(badId, fc.constantFrom({ disabled: true }, { role: 'user' }))
        .map(([id, b]) => c('patch-bad-id', 'admin', request('admin', f, 'PATCH', `/api/admin/users/${id}`, asJson(b)), 400)),
    },
    {
      weight: 10,
      arbitrary: fc
        .constantFrom({ disabled: true }, { role: 'admin' }, { disabled: false, role: 'user' })
        .map((b) => c('patch-missing', 'admin', request('admin', f, 'PATCH', `/api/admin/users/${f.missingId}`, asJson(b)), 404)),
    },
    {
      weight: 10,
      arbitrary: fc
        .constantFrom({ disabled: true }, { role: 'user' }, { disabled: true, role: 'user' })
        .map((b) => c('patch-last-admin', 'admin', request('admin', f, 'PATCH', `/api/admin/users/${f.adminId}`, asJson(b)), 409)),
    },
    {
      weight: 10,
      arbitrary: fc
        .tuple(fc.constantFrom(f.userId, f.adminId), fc.constantFrom({ disabled: true }, { role: 'admin' }, {}, { x: 1 }))
        .map(([id, b]) => c('patch-not-admin', 'user', request('user', f, 'PATCH', `/api/admin/users/${id}`, asJson(b)), 403)),
    },
  );
}
