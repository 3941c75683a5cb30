import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { ProxyCaller } from '../auth/bearer.strategy';

/** What the policy step knows about a request: the caller and its headers, not yet its body. */
export interface PolicyInput {
  req: IncomingMessage;
  caller: ProxyCaller;
  note: UsageNote;
}

/**
 * Step 2: may this caller make this request now? The place for rate limits and quotas (the
 * limits issue plugs its checks in here). It runs after authentication and before the body
 * is read, so a refused request costs no upload; a refusal is a ProxyError thrown here (429
 * with Retry-After, say), answered by the fail step and recorded like any other error.
 * Today there is no policy: every authenticated request passes.
 */
@Injectable()
export class PolicyStep {
  check(_input: PolicyInput): void | Promise<void> {
    // No policy yet.
  }
}
