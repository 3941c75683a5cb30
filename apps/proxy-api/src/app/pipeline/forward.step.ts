import type { UsageNote } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { ChatAnswer, ClientGone } from '../providers/chat-provider';
import type { ResolvedRequest } from './resolve.step';

/**
 * Step 5: the request handed to its provider (the endpoint's exchange: a chat completion, a
 * passthrough, or a translation to chat). A client that goes away before the answer ended
 * aborts the upstream work; if it left before the provider answered, there is nobody to
 * answer (null) and the provider's error, if any, is not reported. The time the provider took
 * to begin its answer is noted for the metrics; the request id travels upstream.
 */
@Injectable()
export class ForwardStep {
  async run(target: ResolvedRequest, res: ServerResponse, note: UsageNote, requestId?: string): Promise<ChatAnswer | null> {
    const gone = new ClientGone();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const started = process.hrtime.bigint();
    try {
      const answer = await target.exchange.call(gone, requestId);
      note.upstreamMs = Number(process.hrtime.bigint() - started) / 1e6;
      return answer;
    } catch (err) {
      if (gone.aborted) return null;
      throw err;
    }
  }
}
