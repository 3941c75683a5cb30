import type { IpDenylistService, VerifiedToken } from '@lmarena-bridge/auth';
import type { AppConfig, ModelRoute } from '@lmarena-bridge/config';
import { NO_LIMITS, type TokenLimits } from '@lmarena-bridge/contracts';
import { CounterSeedError, EMPTY_SEED, MemoryLimitStore, type CounterSeed } from '@lmarena-bridge/limits';
import { UsageNote } from '@lmarena-bridge/usage';
import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyCaller } from '../auth/bearer.strategy';
import type { TokenCache } from '../auth/token-cache.service';
import { ProxyError } from '../errors/proxy-error';
import { ClientAddress } from '../limits/client-address';
import { loadTokenCounter } from '../providers/lmarena/token-count';
import { PolicyStep } from './policy.step';
import type { ProxyMetrics } from '../ops/proxy-metrics.service';
import { Counter } from 'prom-client';
import type { ResolvedRequest } from './resolve.step';

/** The part of a response the step touches: headers, and the close that settles a lease. */
class Response extends EventEmitter {
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
}

const config = { limits: { default_max_tokens: 100, lease_ttl_seconds: 60 }, proxy: { trusted_proxies: [] } } as unknown as AppConfig;
const request = (address = '203.0.113.5') => ({ socket: { remoteAddress: address }, headers: {} }) as unknown as IncomingMessage;
const target = (model = 'gpt-x', body: Record<string, unknown> = { model, messages: [{ role: 'user', content: 'Hi' }] }) =>
  ({ body, route: { name: model } as ModelRoute }) as ResolvedRequest;

let nextId = 1;
function tokenCaller(limits: Partial<TokenLimits> = {}, userLimits: Partial<TokenLimits> = {}): ProxyCaller {
  const token: VerifiedToken = {
    id: nextId++,
    userId: 1,
    name: 't',
    expiresAt: null,
    limits: { ...NO_LIMITS, ...limits },
    userLimits: { ...NO_LIMITS, ...userLimits },
  };
  return { kind: 'token', token };
}

describe('PolicyStep', () => {
  let denied: string[];
  let invalidate: () => void;
  let store: MemoryLimitStore;
  let seed: CounterSeed;
  let step: PolicyStep;
  const known = new Map<string, VerifiedToken>();
  let rejections: Counter<'reason'>;
  const rejected = async () => Object.fromEntries((await rejections.get()).values.map((v) => [v.labels.reason, v.value]));

  beforeEach(async () => {
    denied = [];
    seed = EMPTY_SEED;
    store = new MemoryLimitStore({ seed: { load: (...args) => seed.load(...args) } });
    const denylist = { list: async () => denied } as unknown as IpDenylistService;
    const tokens = {
      onInvalidate: (listener: () => void) => (invalidate = listener),
      verify: async (secret: string) => (known.has(secret) ? { ok: true, token: known.get(secret) } : { ok: false, reason: 'unknown' }),
    } as unknown as TokenCache;
    rejections = new Counter({ name: 'rejections', help: 'test', labelNames: ['reason'], registers: [] });
    step = new PolicyStep(store, config, new ClientAddress([]), denylist, tokens, { limitRejections: rejections } as unknown as ProxyMetrics);
    await step.onApplicationBootstrap();
  });

  const admit = async (caller: ProxyCaller, note = new UsageNote('/v1/chat/completions'), to = target()) => {
    const res = new Response();
    await step.admit({ caller, note, target: to, res: res as unknown as ServerResponse });
    return { res, note };
  };
  const refusal = async (caller: ProxyCaller, to = target()) => {
    const note = new UsageNote('/v1/chat/completions');
    const res = new Response();
    const err = await step.admit({ caller, note, target: to, res: res as unknown as ServerResponse }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProxyError);
    expect(note.refused).toBe(true);
    return { err: err as ProxyError, res };
  };

  describe('check (IP rules, before the body)', () => {
    it('lets every caller through while nothing restricts addresses', () => {
      for (const caller of [{ kind: 'open' }, { kind: 'api_key' }, tokenCaller()] as ProxyCaller[]) {
        const note = new UsageNote('/x');
        expect(() => step.check({ req: request(), caller, note })).not.toThrow();
        expect(note.refused).toBe(false);
      }
    });

    it('refuses an address on the proxy-wide deny list for every caller, once reloaded', async () => {
      denied = ['203.0.113.0/24'];
      expect(() => step.check({ req: request(), caller: { kind: 'api_key' }, note: new UsageNote('/x') })).not.toThrow();
      invalidate();
      await new Promise((resolve) => setImmediate(resolve));
      for (const caller of [{ kind: 'open' }, { kind: 'api_key' }, tokenCaller()] as ProxyCaller[]) {
        const note = new UsageNote('/x');
        expect(() => step.check({ req: request(), caller, note })).toThrow(expect.objectContaining({ status: 403, code: 'ip_not_allowed' }));
        expect(note.refused).toBe(true);
      }
      expect(() => step.check({ req: request('198.51.100.1'), caller: { kind: 'open' }, note: new UsageNote('/x') })).not.toThrow();
    });

    it("applies a token's allowed and denied ranges and its owner's allow list", () => {
      const caller = tokenCaller(
        { allowed_ips: ['203.0.113.0/24', '2001:db8::/32'], denied_ips: ['203.0.113.66'] },
        { allowed_ips: ['203.0.113.0/25', '2001:db8::/32'] },
      );
      const verdict = (address: string) => {
        try {
          step.check({ req: request(address), caller, note: new UsageNote('/x') });
          return 'ok';
        } catch (err) {
          return (err as ProxyError).code;
        }
      };
      expect(verdict('203.0.113.5')).toBe('ok');
      expect(verdict('::ffff:203.0.113.5')).toBe('ok');
      expect(verdict('2001:db8::1')).toBe('ok');
      expect(verdict('203.0.113.66')).toBe('ip_not_allowed');
      expect(verdict('203.0.113.200')).toBe('ip_not_allowed'); // in the token's list, not in the owner's
      expect(verdict('198.51.100.1')).toBe('ip_not_allowed');
    });

    it('keeps the deny list it has when reading a new one fails', async () => {
      denied = ['203.0.113.0/24'];
      invalidate();
      await new Promise((resolve) => setImmediate(resolve));
      const failing = { list: async () => Promise.reject(new Error('database unavailable')) } as unknown as IpDenylistService;
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const tokens = { onInvalidate: () => undefined } as unknown as TokenCache;
      const cold = new PolicyStep(store, config, new ClientAddress([]), failing, tokens, { limitRejections: rejections } as unknown as ProxyMetrics);
      await expect(cold.onApplicationBootstrap()).resolves.toBeUndefined();
      warn.mockRestore();
      expect(() => cold.check({ req: request(), caller: { kind: 'open' }, note: new UsageNote('/x') })).not.toThrow();
      expect(() => step.check({ req: request(), caller: { kind: 'open' }, note: new UsageNote('/x') })).toThrow(ProxyError);
    });
  });

  describe('modelsFor (GET /v1/models)', () => {
    it("narrows the list to a limited token's models, and lists everything for any other key", async () => {
      const limited = tokenCaller({ allowed_models: ['a', 'b'] }, { allowed_models: ['b', 'c'] });
      const open = tokenCaller();
      known.set('sk-limited', (limited as { token: VerifiedToken }).token);
      known.set('sk-open', (open as { token: VerifiedToken }).token);
      await expect(step.modelsFor('Bearer sk-limited')).resolves.toEqual(new Set(['b']));
      await expect(step.modelsFor('bearer  sk-limited ')).resolves.toEqual(new Set(['b']));
      await expect(step.modelsFor('Bearer sk-open')).resolves.toBeNull();
      await expect(step.modelsFor('Bearer sk-unknown')).resolves.toBeNull();
      await expect(step.modelsFor('Basic abc')).resolves.toBeNull();
      await expect(step.modelsFor(undefined)).resolves.toBeNull();
    });
  });

  describe('admit (models and counted limits, after resolve)', () => {
    it('passes callers without limits with no headers', async () => {
      for (const caller of [{ kind: 'api_key' }, tokenCaller()] as ProxyCaller[]) {
        const { res, note } = await admit(caller);
        expect(res.headers).toEqual({});
        expect(note.refused).toBe(false);
      }
    });

    it("refuses a model outside the token's list or its owner's cap", async () => {
      await expect(admit(tokenCaller({ allowed_models: ['gpt-x'] }))).resolves.toBeDefined();
      const { err } = await refusal(tokenCaller({ allowed_models: ['gpt-x', 'other'] }, { allowed_models: ['other'] }));
      expect(err).toMatchObject({ status: 403, type: 'permission_error', code: 'model_not_allowed' });
    });

    it('admits exactly rpm requests of a burst, with x-ratelimit headers, then 429 rate_limit_exceeded with Retry-After', async () => {
      const caller = tokenCaller({ rpm: 3 });
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { res } = await admit(caller);
        expect(res.headers['x-ratelimit-limit-requests']).toBe('3');
        remaining.push(res.headers['x-ratelimit-remaining-requests']);
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const { err, res } = await refusal(caller);
      expect(err).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(err.message).toContain('3 requests per minute');
      expect(Number(err.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
      expect(res.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(res.headers['x-ratelimit-reset-requests']).toMatch(/^\d+(\.\d+)?s$|^\d+ms$/);
      expect(await rejected()).toEqual({ rpm: 1 });
    });

    it('answers a used-up daily quota with 429 insufficient_quota until the next UTC day', async () => {
      const caller = tokenCaller({ daily_requests: 1 });
      await admit(caller);
      const { err } = await refusal(caller);
      expect(err).toMatchObject({ status: 429, type: 'insufficient_quota', code: 'quota_exceeded' });
      const untilMidnight = Math.ceil((Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000 - Date.now()) / 1000);
      expect(Math.abs(Number(err.headers['Retry-After']) - untilMidnight)).toBeLessThanOrEqual(2);
    });

    it('holds a max_parallel slot until the response closes', async () => {
      const caller = tokenCaller({ max_parallel: 1 });
      const first = await admit(caller);
      const { err } = await refusal(caller);
      expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
      first.res.emit('close');
      await new Promise((resolve) => setImmediate(resolve));
      await expect(admit(caller)).resolves.toBeDefined();
    });

    it('reserves prompt tokens plus max_tokens against tpm and settles with the real usage', async () => {
      const count = await loadTokenCounter();
      const caller = tokenCaller({ tpm: 1000 });
      const body = { model: 'gpt-x', max_tokens: 200, messages: [{ role: 'user', content: 'Tell me a story about a lighthouse.' }] };
      const prompt = count('user\nTell me a story about a lighthouse.');
      const { res, note } = await admit(caller, new UsageNote('/v1/chat/completions'), target('gpt-x', body));
      expect(res.headers['x-ratelimit-limit-tokens']).toBe('1000');
      expect(Number(res.headers['x-ratelimit-remaining-tokens'])).toBe(1000 - prompt - 200);
      note.promptTokens = 10;
      note.completionTokens = 5;
      res.emit('close');
      await new Promise((resolve) => setImmediate(resolve));
      const id = caller.kind === 'token' ? caller.token.id : 0;
      const now = await store.usageNow(id, { rpm: null, tpm: 1000, maxParallel: null, dailyRequests: null, monthlyTokens: null, monthlyBudgetUsd: null });
      expect(now.minuteTokens).toBe(15);
    });

    it('counts tokens and cost of the month from the answers, and stops a spent budget', async () => {
      const caller = tokenCaller({ monthly_budget_usd: 0.001 });
      const priced = () => {
        const note = new UsageNote('/v1/chat/completions');
        note.price = { inputPerMtok: 1, outputPerMtok: 1 };
        return note;
      };
      const body = { model: 'gpt-x', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] };
      const { res, note } = await admit(caller, priced(), target('gpt-x', body));
      note.promptTokens = 1000; // $0.001: the whole budget
      note.completionTokens = 0;
      res.emit('close');
      await new Promise((resolve) => setImmediate(resolve));
      const err = await step
        .admit({ caller, note: priced(), target: target('gpt-x', body), res: new Response() as unknown as ServerResponse })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 429, type: 'insufficient_quota', code: 'quota_exceeded' });
      expect((err as ProxyError).message).toContain('$0.0010');
    });

    it('answers 503 when the counters cannot be read from the database', async () => {
      seed = { load: async () => Promise.reject(new CounterSeedError(1, new Error('connection refused'))) };
      const note = new UsageNote('/v1/chat/completions');
      const failed = await step
        .admit({ caller: tokenCaller({ daily_requests: 5 }), note, target: target(), res: new Response() as unknown as ServerResponse })
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(note.refused).toBe(false);
    });
  });
});
