import { IpDenylistService, type VerifiedToken } from '@lmarena-bridge/auth';
import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { databaseOutage } from '@lmarena-bridge/database';
import {
  CounterSeedError,
  effectiveLimits,
  IpRules,
  modelAllowed,
  NO_NUMERIC_LIMITS,
  rateLimitHeaders,
  type EffectiveLimits,
  type LimitStore,
} from '@lmarena-bridge/limits';
import { requestCostUsd, type UsageNote } from '@lmarena-bridge/usage';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { TokenCache } from '../auth/token-cache.service';
import { ProxyError } from '../errors/proxy-error';
import { ClientAddress } from '../limits/client-address';
import { LIMIT_STORE } from '../limits/limits.module';
import { ProxyMetrics } from '../ops/proxy-metrics.service';
import { refusalError } from '../limits/refusal-error';
import { completionBudget, estimatePromptTokens } from '../limits/request-estimate';
import { loadTokenCounter, type TokenCounter } from '../providers/lmarena/token-count';
import type { ResolvedRequest } from './resolve.step';

/** What the policy step knows about a request before its body: the caller and its headers. */
export interface PolicyInput {
  req: IncomingMessage;
  caller: ProxyCaller;
  note: UsageNote;
}

/** After the body: where the request goes, and the response that will carry the x-ratelimit-* headers. */
export interface AdmitInput {
  caller: ProxyCaller;
  note: UsageNote;
  target: ResolvedRequest;
  res: ServerResponse;
}

/** Rules that refuse every address: what a token whose stored ranges do not parse gets (they are checked on write). */
const DENY_ALL = new IpRules({ denied: ['0.0.0.0/0', '::/0'] });

/**
 * Step 2 (`check`, headers only) and step 4b (`admit`, after the model is resolved): the token's
 * limits combined with its owner's caps, and the admins' proxy-wide deny list.
 *
 * - check: the client address (ClientAddress: the socket, or X-Forwarded-For behind a trusted
 *   balancer) against the IP rules — every caller against the deny list, a token also against its
 *   own and its owner's lists. Refused before the body is read: 403 ip_not_allowed.
 * - admit: the model allow-list (403 model_not_allowed), then the counted limits through the
 *   LimitStore (exact across instances on Redis): a refusal is 429 with Retry-After; every answer
 *   to a counted token carries OpenAI's x-ratelimit-* headers. tpm, monthly_tokens and the budget
 *   reserve an estimate (prompt tokens from the tokenizer plus max_tokens or
 *   `limits.default_max_tokens`), settled with the upstream's usage when the response closes.
 *
 * Refusals set `note.refused`: they are recorded like other 4xx, and not counted as requests the
 * day's quota admitted. Callers without limits cost one WeakMap lookup.
 */
@Injectable()
export class PolicyStep implements OnApplicationBootstrap {
  private readonly logger = new Logger('Limits');
  private globalDenied: readonly string[] = [];
  private globalRules: IpRules = IpRules.NONE;
  /** Per verified token (the token cache's objects, replaced when the auth epoch moves). */
  private effective = new WeakMap<VerifiedToken, EffectiveLimits>();
  private counter: Promise<TokenCounter> | null = null;
  private readonly leaseTtlMs: number;
  private readonly defaultMaxTokens: number;

  constructor(
    @Inject(LIMIT_STORE) private readonly store: LimitStore,
    @InjectConfig() config: AppConfig,
    private readonly address: ClientAddress,
    private readonly denylist: IpDenylistService,
    private readonly tokens: TokenCache,
    private readonly metrics: ProxyMetrics,
  ) {
    this.leaseTtlMs = config.limits.lease_ttl_seconds * 1000;
    this.defaultMaxTokens = config.limits.default_max_tokens;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.tokens.onInvalidate(() => void this.reloadDenylist());
    await this.reloadDenylist();
  }

  /** Reads the proxy-wide deny list again (at start, and whenever the auth epoch moves). */
  async reloadDenylist(): Promise<void> {
    try {
      const ranges = await this.denylist.list();
      this.globalDenied = ranges;
      this.globalRules = new IpRules({ globalDenied: ranges });
      this.effective = new WeakMap();
    } catch (err) {
      // The list read before stays in force; the next epoch change tries again.
      databaseOutage.failed('reading the IP deny list', err);
    }
  }

  check({ req, caller, note }: PolicyInput): void {
    const rules = caller.kind === 'token' ? this.limitsOf(caller.token).ipRules : this.globalRules;
    if (rules.unrestricted || rules.check(this.address.of(req)) === 'ok') return;
    this.refuse(note, 'ip_not_allowed');
    throw ProxyError.ipNotAllowed();
  }

  async admit({ caller, note, target, res }: AdmitInput): Promise<void> {
    if (caller.kind !== 'token') return;
    const limits = this.limitsOf(caller.token);
    if (!modelAllowed(limits, target.route.name)) {
      this.refuse(note, 'model_not_allowed');
      throw ProxyError.modelNotAllowed(target.route.name);
    }
    if (!limits.counted) return;
    const { numeric } = limits;
    let estimateTokens = 0;
    let estimateCostUsd = 0;
    if (numeric.tpm !== null || numeric.monthlyTokens !== null || numeric.monthlyBudgetUsd !== null) {
      this.counter ??= loadTokenCounter();
      const prompt = estimatePromptTokens(target.body, await this.counter);
      const completion = note.endpoint.endsWith('/embeddings') ? 0 : completionBudget(target.body, this.defaultMaxTokens);
      estimateTokens = prompt + completion;
      estimateCostUsd = requestCostUsd(note.price, prompt, completion) ?? 0;
    }
    let admission;
    try {
      admission = await this.store.admit({ tokenId: caller.token.id, limits: numeric, estimateTokens, estimateCostUsd, leaseTtlMs: this.leaseTtlMs });
    } catch (err) {
      // The day and month counters start from the database's rollups: without it they are unknown.
      if (err instanceof CounterSeedError)
        throw ProxyError.databaseUnavailable('The usage counters of this API key cannot be read right now (database unavailable). Retry shortly.');
      throw err;
    }
    for (const [name, value] of Object.entries(rateLimitHeaders(admission.state))) res.setHeader(name, value);
    if (!admission.ok) {
      this.refuse(note, admission.refusal);
      throw refusalError(admission.refusal, numeric, admission.retryAfterSeconds);
    }
    const lease = admission.lease;
    res.once('close', () => {
      const actual = {
        tokens: (note.promptTokens ?? 0) + (note.completionTokens ?? 0),
        costUsd: requestCostUsd(note.price, note.promptTokens, note.completionTokens) ?? 0,
      };
      this.store.settle(lease, actual).catch((err: unknown) => {
        this.logger.warn(
          `settling a request of token ${lease.tokenId} failed (its slot frees when the lease expires): ${err instanceof Error ? err.message : String(err)}`,
        );
      });
    });
  }

  /**
   * The models a request's key may use, for GET /v1/models; null: every model. The list needs no
   * key, so a missing, unknown or refused key (or a database that cannot check it) lists everything.
   */
  async modelsFor(authorization: string | undefined): Promise<ReadonlySet<string> | null> {
    const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return null;
    const verified = await this.tokens.verify(match[1]).catch(() => null);
    return verified?.ok ? this.limitsOf(verified.token).allowedModels : null;
  }

  /** A refusal: recorded as such (not a request the quotas admitted) and counted in lmb_proxy_limit_rejections_total. */
  private refuse(note: UsageNote, reason: string): void {
    note.refused = true;
    this.metrics.limitRejections.inc({ reason });
  }

  private limitsOf(token: VerifiedToken): EffectiveLimits {
    let limits = this.effective.get(token);
    if (!limits) {
      try {
        limits = effectiveLimits(token.limits, token.userLimits, this.globalDenied);
      } catch (err) {
        this.logger.error(`token ${token.id} has IP ranges that do not parse; refusing its requests: ${err instanceof Error ? err.message : String(err)}`);
        limits = { numeric: NO_NUMERIC_LIMITS, counted: false, allowedModels: new Set<string>(), ipRules: DENY_ALL };
      }
      this.effective.set(token, limits);
    }
    return limits;
  }
}
