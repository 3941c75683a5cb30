import type { ModelRoute } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { parseChatBody } from '../chat/chat-body';
import { ProxyError } from '../errors/proxy-error';
import { ModelsService } from '../models/models.service';
import { ChatBody, ChatProvider } from '../providers/chat-provider';
import { ProvidersService } from '../providers/providers.service';

/** Where a request goes and what it asks for. */
export interface ResolvedChat {
  body: ChatBody;
  route: ModelRoute;
  provider: ChatProvider;
  stream: boolean;
  /** The client asked for the usage chunk of a stream (the proxy always asks the upstream for it). */
  clientWantsUsage: boolean;
}

const MAX_NOTED_MODEL = 200;

/**
 * Step 4: the body validated (chat-body.ts), the model looked up in models.json, the token's
 * model allow-list applied, the provider chosen. The model and stream flag are noted before
 * validation so that a refused request is recorded with what it asked for.
 */
@Injectable()
export class ResolveStep {
  constructor(
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
  ) {}

  run(raw: unknown, caller: ProxyCaller, note: UsageNote): ResolvedChat {
    const fields = raw as Record<string, unknown> | null | undefined;
    if (fields && typeof fields['model'] === 'string') note.model = fields['model'].slice(0, MAX_NOTED_MODEL);
    if (fields && fields['stream'] === true) note.stream = true;

    const body = parseChatBody(raw);
    const route = this.models.find(body.model);
    if (!route) throw ProxyError.modelNotFound(body.model);
    if (caller.kind === 'token' && caller.token.allowedModels && !caller.token.allowedModels.includes(route.name)) {
      throw ProxyError.modelNotAllowed(route.name);
    }
    return { body, route, provider: this.providers.forRoute(route), stream: body.stream === true, clientWantsUsage: body.stream_options?.include_usage === true };
  }
}
