import type { ClientGone } from '../chat-provider';
import { BridgeExchange, BridgeRelayError } from './bridge-transport';
import { imageMarkdown, sourcesMarkdown } from './openai-output';
import { answerFailure, noContentFailure, relayFailure, SiteFailure } from './site-errors';
import { SiteSource, SiteStreamParser, SiteUsage } from './site-stream-parser';

/** What a client is shown of the site's answer, in order. */
export type AnswerPiece = { kind: 'content'; text: string } | { kind: 'reasoning'; text: string };

/** How the answer ended: the site's finish reason and usage, when it sent them. */
export interface AnswerEnd {
  reason: string | null;
  usage?: SiteUsage;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The browser's relay of the body, its failures mapped; nothing more once the client left. */
async function* relayed(exchange: BridgeExchange, signal: ClientGone, fail: (failure: SiteFailure) => never): AsyncGenerator<string> {
  try {
    for await (const chunk of exchange.data) {
      if (signal.aborted) return;
      yield chunk;
    }
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof BridgeRelayError) fail(relayFailure(err));
    // The transport's own errors (503 the browser left, 504 it stayed silent) pass as they are.
    exchange.noteError(describe(err));
    throw err;
  }
}

/**
 * The site's answer relayed by one browser, as pieces to show. Every failure is mapped to
 * the contract's error (site-errors.ts), noted on the browser for the dashboard, and thrown;
 * a Cloudflare page also reloads the tab. An answer without text or image is a failure.
 * When the client went away, it ends quietly with `undefined` (the transport has sent the
 * browser `cancel`).
 */
export async function* answerPieces(exchange: BridgeExchange, signal: ClientGone): AsyncGenerator<AnswerPiece, AnswerEnd | undefined> {
  const parser = new SiteStreamParser();
  const sources: SiteSource[] = [];
  let content = false;
  let end: AnswerEnd = { reason: null };

  const fail = (failure: SiteFailure): never => {
    exchange.noteError(failure.error.message);
    if (failure.refresh) exchange.refresh();
    throw failure.error;
  };

  function* pieces(events: ReturnType<SiteStreamParser['push']>): Generator<AnswerPiece> {
    for (const event of events) {
      switch (event.type) {
        case 'text':
          content = true;
          yield { kind: 'content', text: event.text };
          break;
        case 'reasoning':
          yield { kind: 'reasoning', text: event.text };
          break;
        case 'image':
          // An image after text starts its own paragraph, so Markdown renders it.
          yield { kind: 'content', text: `${content ? '\n\n' : ''}${imageMarkdown(event.url)}` };
          content = true;
          break;
        case 'sources':
          sources.push(...event.sources);
          break;
        case 'finish':
          end = { reason: event.reason, ...(event.usage ? { usage: event.usage } : {}) };
          break;
        case 'error':
          fail(answerFailure(event.kind, event.message));
      }
    }
  }

  for await (const chunk of relayed(exchange, signal, fail)) {
    if (signal.aborted) return undefined;
    yield* pieces(parser.push(chunk));
  }
  if (signal.aborted) return undefined;
  yield* pieces(parser.end());
  if (!content) fail(noContentFailure(parser.unrecognised, parser.firstUnrecognised));
  const cited = sourcesMarkdown(sources);
  if (cited !== '') yield { kind: 'content', text: cited };
  return end;
}
