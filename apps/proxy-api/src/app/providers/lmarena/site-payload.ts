import type { ModelRoute } from '@lmarena-bridge/config';
import { ProxyError } from '../../errors/proxy-error';
import type { ChatBody } from '../chat-provider';
import type { SiteModel, SitePayload } from './bridge-transport';
import { buildTranscript } from './transcript';
import { uuidv7 } from './uuidv7';

export type SiteModality = 'chat' | 'image' | 'search';

/** The path of a new direct-mode conversation (lmarena.md, "Site: chat requests"). */
export const CREATE_EVALUATION_PATH = '/nextjs-api/stream/create-evaluation';

export interface SiteRequest {
  payload: SitePayload;
  /** The text actually sent (what the prompt tokens are counted on). */
  prompt: string;
  modality: SiteModality;
}

function has(capabilities: Record<string, unknown> | undefined, key: string): boolean {
  const value = capabilities?.[key];
  return value !== undefined && value !== null && value !== false;
}

/**
 * The site's `modality` for a model: `image` when models.json says `"<uuid>:image"` or the
 * browser-reported model can output images, else `search` when it can search, else `chat`.
 */
export function chooseModality(route: ModelRoute, model: SiteModel | undefined): SiteModality {
  // `modality` is added to ModelRoute by the config work for `"<uuid>:image"` entries.
  if ((route as { modality?: string }).modality === 'image') return 'image';
  const output = model?.capabilities?.outputCapabilities;
  if (has(output, 'image')) return 'image';
  if (has(output, 'search')) return 'search';
  return 'chat';
}

/**
 * The site has no function calling: tool history is folded into the transcript as text,
 * `tools` definitions are not sent, and a request that insists on a tool call is refused
 * rather than answered with plain text the client does not expect.
 */
function refuseForcedTools(body: ChatBody): void {
  const choice = body['tool_choice'];
  const forced = choice === 'required' || (typeof choice === 'object' && choice !== null);
  const hasTools = Array.isArray(body['tools']) && body['tools'].length > 0;
  if (forced && hasTools) {
    throw ProxyError.invalidRequest(
      'The LMArena bridge cannot make tool calls: "tool_choice" must be "auto" or "none" (or left out) for this model.',
      'tool_choice',
    );
  }
}

/** OpenAI chat body → the site request for a new direct-mode evaluation, fresh ids each time. */
export function buildSiteRequest(route: ModelRoute, body: ChatBody, model: SiteModel | undefined): SiteRequest {
  refuseForcedTools(body);
  const prompt = buildTranscript(body.messages);
  const modality = chooseModality(route, model);
  return {
    prompt,
    modality,
    payload: {
      method: 'POST',
      path: CREATE_EVALUATION_PATH,
      body: {
        id: uuidv7(),
        mode: 'direct',
        modelAId: route.upstream_model,
        userMessageId: uuidv7(),
        modelAMessageId: uuidv7(),
        modelBMessageId: uuidv7(),
        userMessage: { content: prompt, experimental_attachments: [], metadata: {} },
        modality,
      },
    },
  };
}
