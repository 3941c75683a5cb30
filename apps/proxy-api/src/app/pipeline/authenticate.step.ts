import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { BearerStrategy } from '../auth/bearer.strategy';
import { ProxyError } from '../errors/proxy-error';

const MISSING = 'Missing API key: send "Authorization: Bearer <your sk-lmarena key>".';

/** The calls a passport strategy makes on the object it authenticates with (passport's Strategy interface). */
interface StrategyAttempt {
  authenticate(req: { headers: IncomingHttpHeaders }): void;
  success(user: ProxyCaller): void;
  fail(challenge?: unknown, status?: number): void;
  error(err: unknown): void;
}

/**
 * Step 1: who is calling, from the headers alone. The body has not been read yet and is not
 * read for a refused request (the fail step closes such a connection).
 *
 * The bearer check is passport-http-bearer (BearerStrategy: dashboard tokens through the
 * token cache, then the shared api_key), run as passport runs a strategy: on an object
 * derived from it that receives success/fail/error. It sees only the Authorization header:
 * passport-http-bearer would also take a token from an `access_token` body field or query
 * parameter, but the contract is the header only (a token in the URL ends up in logs, one in
 * the body would be forwarded upstream with the other unknown fields).
 *
 * With use_dashboard_tokens false and an empty api_key the proxy is open (a warning is logged
 * at start-up) and every request passes.
 */
@Injectable()
export class AuthenticateStep {
  private readonly open: boolean;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly strategy: BearerStrategy,
  ) {
    this.open = !config.use_dashboard_tokens && config.api_key === '';
  }

  /** `xApiKey`: the endpoint also takes the key in `x-api-key` (Anthropic's clients send it there). */
  async run(req: IncomingMessage, note: UsageNote, xApiKey = false): Promise<ProxyCaller> {
    if (this.open) return { kind: 'open' };
    const alternative = xApiKey ? req.headers['x-api-key'] : undefined;
    const authorization = req.headers.authorization ?? (typeof alternative === 'string' && alternative !== '' ? `Bearer ${alternative}` : undefined);
    if (authorization === undefined) throw ProxyError.unauthorized(MISSING);
    const caller = await this.verify(authorization);
    if (caller.kind === 'token') note.owner = { tokenId: caller.token.id, userId: caller.token.userId };
    return caller;
  }

  private verify(authorization: string): Promise<ProxyCaller> {
    return new Promise<ProxyCaller>((resolve, reject) => {
      const attempt = Object.create(this.strategy) as StrategyAttempt;
      attempt.success = resolve;
      // Not a Bearer header, or no token in it: the strategy's refusals for a token it
      // looked at come through error() as the ProxyError BearerStrategy.validate throws.
      attempt.fail = () => reject(ProxyError.unauthorized(MISSING));
      attempt.error = reject;
      attempt.authenticate({ headers: { authorization } });
    });
  }
}
