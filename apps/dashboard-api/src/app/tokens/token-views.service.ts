import { TokensService, type StoredToken } from '@lmarena-bridge/auth';
import type { UsageNow } from '@lmarena-bridge/contracts';
import { NO_USAGE_NOW, UsageNowSource } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';

/** A stored token (plain, admin or just created) as the API answers it: with `usage_now`. */
export type WithUsage<T extends StoredToken> = T & { usage_now: UsageNow };

/**
 * Adds `usage_now` to the tokens an answer carries, asking the bound UsageNowSource once for
 * all of them (a list of any length costs a fixed number of statements, not one per token).
 */
@Injectable()
export class TokenViews {
  constructor(
    private readonly usage: UsageNowSource,
    private readonly tokens: TokensService,
  ) {}

  async withUsage<T extends StoredToken>(tokens: T[]): Promise<Array<WithUsage<T>>> {
    if (tokens.length === 0) return [];
    // The live counters are judged by the stricter of the token's limits and its owner's caps.
    const caps = await this.tokens.ownerCaps(tokens.map((t) => t.id));
    const usage = await this.usage.forTokens(tokens.map((t) => ({ id: t.id, limits: t.limits, userLimits: caps.get(t.id) })));
    return tokens.map((t) => ({ ...t, usage_now: usage.get(t.id) ?? { ...NO_USAGE_NOW } }));
  }

  async one<T extends StoredToken>(token: T): Promise<WithUsage<T>> {
    const [answer] = await this.withUsage([token]);
    return answer;
  }
}
