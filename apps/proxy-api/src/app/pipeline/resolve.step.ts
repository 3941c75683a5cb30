import type { ModelRoute } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { CHAT_ENDPOINT } from '../endpoints/chat.endpoint';
import type { Endpoint, Exchange } from '../endpoints/endpoint';
import { ProxyError } from '../errors/proxy-error';
import { ModelsService } from '../models/models.service';
import { ChatProvider } from '../providers/chat-provider';
import { ProvidersService } from '../providers/providers.service';

/** Where a request goes and what it asks for. */
export interface ResolvedRequest {
  body: Record<string, unknown>;
  route: ModelRoute;
  provider: ChatProvider;
  stream: boolean;
  exchange: Exchange;
}

const MAX_NOTED_MODEL = 200;

/**
 * Step 4: the body validated by its endpoint (chat-body.ts for chat), the model looked up in
 * models.json, the token's model allow-list applied, the provider chosen and the exchange
 * planned (the endpoint refuses a provider that cannot serve it). The model and stream flag
 * are noted before validation so that a refused request is recorded with what it asked for;
 * the model's price once it is found.
 */
@Injectable()
export class ResolveStep {
  constructor(
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
  ) {}

  run(raw: unknown, caller: ProxyCaller, note: UsageNote, endpoint: Endpoint = CHAT_ENDPOINT): ResolvedRequest {
    const fields = raw as Record<string, unknown> | null | undefined;
    if (fields && typeof fields['model'] === 'string') note.model = fields['model'].slice(0, MAX_NOTED_MODEL);
    if (fields && fields['stream'] === true) note.stream = true;

    const request = endpoint.parse(raw);
    const route = this.models.find(request.model);
    if (!route) throw ProxyError.modelNotFound(request.model);
    // The route's price makes the row's cost once the answer's token counts are known.
    note.price = route.price;
    if (caller.kind === 'token' && caller.token.allowedModels && !caller.token.allowedModels.includes(route.name)) {
      throw ProxyError.modelNotAllowed(route.name);
    }
    const provider = this.providers.forRoute(route);
    return { body: request.body, route, provider, stream: request.stream, exchange: endpoint.plan(request, route, provider) };
  }
}
