import { ProxyError } from '../../errors/proxy-error';
import { ChatAnswer, ChatProvider } from '../chat-provider';

/**
 * The LMArena browser bridge: a userscript in the user's browser connects over WebSocket
 * and relays requests to the LMArena site. Until a browser is connected (the bridge itself
 * is not built yet) every request answers 503, as the original did.
 */
export class LmarenaProvider implements ChatProvider {
  async complete(): Promise<ChatAnswer> {
    throw ProxyError.unavailable('No browser is connected to the LMArena bridge: open LMArena with the userscript installed, then retry.');
  }
}
