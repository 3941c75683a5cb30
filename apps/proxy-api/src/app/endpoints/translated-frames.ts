import type { UsageNote } from '@lmarena-bridge/usage';
import { ProxyError } from '../errors/proxy-error';
import type { ChatChunk } from '../translate/chat-types';
import { noteFirstToken, noteStreamError, noteUsage, parseEvent } from './usage-fields';

/** A translator from chat-completion chunks to another API's stream events (Responses, Anthropic). */
export interface ChunkTranslator {
  /** The events that open the stream (sent before the first translated chunk). */
  start(): string[];
  chunk(chunk: ChatChunk): string[];
  /** The events that close a stream that ended well. */
  end(): string[];
}

/**
 * The SSE frames of a translated stream: each chat chunk from the provider is noted (usage,
 * an error inside the stream, the first token) and turned into the other API's events, the
 * opening events sent with the first chunk, the closing ones at the end (an empty answer
 * still opens and closes). A chunk carrying an error ends the stream with that error.
 */
export async function* translatedFrames(payloads: AsyncIterable<string>, note: UsageNote, stream: ChunkTranslator): AsyncIterable<string> {
  let started = false;
  for await (const payload of payloads) {
    const chunk = parseEvent(payload) as ChatChunk & Record<string, unknown>;
    noteUsage(note, chunk.usage);
    noteStreamError(note, chunk);
    if (chunk.error) throw ProxyError.upstream(typeof chunk.error.message === 'string' ? chunk.error.message : 'upstream stream error');
    noteFirstToken(note, chunk.choices?.some((c) => typeof c.delta?.content === 'string' && c.delta.content !== '') === true);
    const frames = started ? [] : stream.start();
    started = true;
    frames.push(...stream.chunk(chunk));
    if (frames.length > 0) yield frames.join('');
  }
  yield [...(started ? [] : stream.start()), ...stream.end()].join('');
}
