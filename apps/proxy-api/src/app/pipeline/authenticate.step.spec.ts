import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { REFUSAL_MESSAGES, TokenVerification, VerifiedToken } from '@lmarena-bridge/auth';
import type { AppConfig } from '@lmarena-bridge/config';
import { UsageNote } from '@lmarena-bridge/usage';
import { Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { BearerStrategy } from '../auth/bearer.strategy';
import type { TokenCache } from '../auth/token-cache.service';
import { ProxyError } from '../errors/proxy-error';
import { AuthenticateStep } from './authenticate.step';

const GOOD = 'sk-lmarena-good';
const REVOKED = 'sk-lmarena-revoked';
const SHARED = 'sk-shared-key';
const TOKEN: VerifiedToken = { id: 12, userId: 4, name: 'laptop', expiresAt: null, limits: NO_LIMITS, userLimits: NO_LIMITS };

/** The token cache's answers (the real cache has its own spec); counts the lookups. */
class Cache {
  lookups = 0;
  async verify(secret: string): Promise<TokenVerification> {
    this.lookups += 1;
    if (secret === GOOD) return { ok: true, token: TOKEN };
    if (secret === REVOKED) return { ok: false, reason: 'revoked' };
    return { ok: false, reason: secret.startsWith('sk-lmarena-') ? 'unknown' : 'malformed' };
  }
}

function aStep(config: Partial<AppConfig>, cache = new Cache()): AuthenticateStep {
  const full = { use_dashboard_tokens: true, api_key: '', ...config } as AppConfig;
  return new AuthenticateStep(full, new BearerStrategy(full, cache as unknown as TokenCache));
}

const withHeaders = (headers: Record<string, string>, extra: object = {}) => ({ headers, ...extra }) as unknown as IncomingMessage;

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProxyError);
  const { status, code, message } = err as ProxyError;
  return { status, code, message };
}

describe('AuthenticateStep', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it('accepts a dashboard token and notes its owner for the usage row', async () => {
    const note = new UsageNote('/v1/chat/completions');
    await expect(aStep({}).run(withHeaders({ authorization: `Bearer ${GOOD}` }), note)).resolves.toEqual({ kind: 'token', token: TOKEN });
    expect(note.owner).toEqual({ tokenId: 12, userId: 4 });
  });

  it('accepts the shared api_key without an owner (not recorded)', async () => {
    const note = new UsageNote('/v1/chat/completions');
    await expect(aStep({ api_key: SHARED }).run(withHeaders({ authorization: `Bearer ${SHARED}` }), note)).resolves.toEqual({ kind: 'api_key' });
    expect(note.owner).toBeNull();
  });

  it('refuses a missing header without asking the token cache', async () => {
    const cache = new Cache();
    expect(await refusal(aStep({}, cache).run(withHeaders({}), new UsageNote('/x')))).toEqual({
      status: 401,
      code: 'invalid_api_key',
      message: expect.stringContaining('Missing API key'),
    });
    expect(cache.lookups).toBe(0);
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer a b']])('refuses the header %p as a missing key', async (authorization) => {
    expect(await refusal(aStep({}).run(withHeaders({ authorization }), new UsageNote('/x')))).toMatchObject({
      status: 401,
      message: expect.stringContaining('Missing API key'),
    });
  });

  it('refuses unknown and revoked tokens with the reason', async () => {
    expect(await refusal(aStep({}).run(withHeaders({ authorization: 'Bearer sk-lmarena-unknown' }), new UsageNote('/x')))).toMatchObject({
      status: 401,
      message: REFUSAL_MESSAGES.unknown,
    });
    expect(await refusal(aStep({}).run(withHeaders({ authorization: `Bearer ${REVOKED}` }), new UsageNote('/x')))).toMatchObject({
      status: 401,
      message: REFUSAL_MESSAGES.revoked,
    });
  });

  it('reads the Authorization header only: a token in the query or body is not taken', async () => {
    const req = withHeaders({}, { query: { access_token: SHARED }, body: { access_token: SHARED } });
    expect(await refusal(aStep({ api_key: SHARED }).run(req, new UsageNote('/x')))).toMatchObject({ status: 401 });
    const both = withHeaders({ authorization: `Bearer ${SHARED}` }, { query: { access_token: 'other' } });
    await expect(aStep({ api_key: SHARED }).run(both, new UsageNote('/x'))).resolves.toEqual({ kind: 'api_key' });
  });

  it('lets everything through when the proxy is open (no dashboard tokens, no api_key)', async () => {
    const cache = new Cache();
    await expect(aStep({ use_dashboard_tokens: false }, cache).run(withHeaders({}), new UsageNote('/x'))).resolves.toEqual({ kind: 'open' });
    expect(cache.lookups).toBe(0);
  });

  it('passes on a failure of the token lookup itself (the fail step answers it)', async () => {
    const broken = new Cache();
    const down = new Error('database unavailable');
    broken.verify = () => Promise.reject(down);
    await expect(aStep({}, broken).run(withHeaders({ authorization: `Bearer ${GOOD}` }), new UsageNote('/x'))).rejects.toBe(down);
  });
});
