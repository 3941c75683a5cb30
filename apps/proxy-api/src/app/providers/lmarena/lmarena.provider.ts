import { ChatAnswer, ChatCall, ChatProvider } from '../chat-provider';
import type { BridgeExchange, BridgeTransport } from './bridge-transport';
import { OpenAiAnswer, openAiFinishReason, openAiUsage, OpenAiUsage } from './openai-output';
import { AnswerEnd, AnswerPiece, answerPieces } from './site-answer';
import { buildSiteRequest } from './site-payload';
import { loadTokenCounter } from './token-count';

/** Thrown when the client left before the answer: the chat service answers nobody then. */
function clientGone(): Error {
  const error = new Error('The client closed the request.');
  error.name = 'AbortError';
  return error;
}

/** Usage of one answer: the site's own counts when it sent them, else the tokenizer's. */
class AnswerUsage {
  estimated = true;
  private content = '';
  private reasoning = '';

  constructor(private readonly prompt: string) {}

  add(piece: AnswerPiece): void {
    if (piece.kind === 'content') this.content += piece.text;
    else this.reasoning += piece.text;
  }

  get text(): { content: string; reasoning: string } {
    return { content: this.content, reasoning: this.reasoning };
  }

  async total(end: AnswerEnd): Promise<OpenAiUsage> {
    if (end.usage) {
      this.estimated = false;
      return openAiUsage(end.usage.promptTokens, end.usage.completionTokens);
    }
    const count = await loadTokenCounter();
    return openAiUsage(count(this.prompt), count(this.content) + count(this.reasoning));
  }
}

/**
 * The LMArena site through the user's browser: the request is built here (site-payload.ts),
 * sent through the bridge transport to a userscript that performs it in an arena.ai tab,
 * and the relayed answer parsed back (site-answer.ts) into OpenAI objects.
 *
 * Errors before anything could be shown are thrown from `complete()`, so the client gets
 * their status (401/403 → 502, 429 with Retry-After, Cloudflare → 503); later ones end the
 * stream with an error event. Usage is counted with the o200k_base tokenizer and marked
 * estimated, unless the site reported its own (`usageEstimated` is then false; for a stream
 * it is known once the events have ended).
 */
export class LmarenaProvider implements ChatProvider {
  constructor(private readonly transport: BridgeTransport) {}

  async complete(call: ChatCall): Promise<ChatAnswer> {
    const request = buildSiteRequest(call.route, call.body, this.transport.siteModel(call.route.upstream_model));
    const exchange = await this.transport.open(request.payload, call.signal);
    // Load the tokenizer while the browser works (once per process, ~0.3 s).
    void loadTokenCounter();
    const answer = new OpenAiAnswer(call.route.name);
    const usage = new AnswerUsage(request.prompt);
    return call.stream ? this.stream(exchange, call, answer, usage) : this.json(exchange, call, answer, usage);
  }

  private async json(exchange: BridgeExchange, call: ChatCall, answer: OpenAiAnswer, usage: AnswerUsage): Promise<ChatAnswer> {
    const pieces = answerPieces(exchange, call.signal);
    let next = await pieces.next();
    for (; !next.done; next = await pieces.next()) usage.add(next.value);
    if (!next.value) throw clientGone();
    const totals = await usage.total(next.value);
    const { content, reasoning } = usage.text;
    return {
      kind: 'json',
      status: 200,
      body: answer.completion(content, reasoning, openAiFinishReason(next.value.reason), totals),
      usageEstimated: usage.estimated,
    };
  }

  private async stream(exchange: BridgeExchange, call: ChatCall, answer: OpenAiAnswer, usage: AnswerUsage): Promise<ChatAnswer> {
    const pieces = answerPieces(exchange, call.signal);
    // Wait for the first thing to show: a failure before it is still an HTTP error status.
    const first = await pieces.next();
    if (first.done && !first.value) throw clientGone();
    async function* events(): AsyncIterable<string> {
      let next = first;
      try {
        yield answer.chunk({ role: 'assistant', content: '' });
        for (; !next.done; next = await pieces.next()) {
          usage.add(next.value);
          yield answer.chunk(next.value.kind === 'content' ? { content: next.value.text } : { reasoning_content: next.value.text });
        }
        const end = next.value;
        if (!end) return; // the client left
        yield answer.chunk({}, openAiFinishReason(end.reason));
        yield answer.usageChunk(await usage.total(end));
      } finally {
        // The consumer stopped early: stop reading the browser's relay too.
        if (!next.done) await pieces.return(undefined);
      }
    }
    return {
      kind: 'stream',
      events: events(),
      get usageEstimated() {
        return usage.estimated;
      },
    };
  }
}
