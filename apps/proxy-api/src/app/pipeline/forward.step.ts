import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { ChatAnswer, ClientGone } from '../providers/chat-provider';
import type { ResolvedChat } from './resolve.step';

/**
 * Step 5: the request handed to its provider. A client that goes away before the answer
 * ended aborts the upstream work; if it left before the provider answered, there is nobody
 * to answer (null) and the provider's error, if any, is not reported.
 */
@Injectable()
export class ForwardStep {
  async run(target: ResolvedChat, res: ServerResponse): Promise<ChatAnswer | null> {
    const gone = new ClientGone();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    try {
      return await target.provider.complete({ route: target.route, body: target.body, stream: target.stream, signal: gone });
    } catch (err) {
      if (gone.aborted) return null;
      throw err;
    }
  }
}
