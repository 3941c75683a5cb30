import type { UsageNote } from '@lmarena-bridge/usage';
import { ProxyError } from '../errors/proxy-error';

/** A token count as reported, or null when it is missing or not a count. */
export function tokens(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
}

/** Notes a chat (or legacy completions) `usage` object: prompt_tokens / completion_tokens. */
export function noteUsage(note: UsageNote, usage: unknown): void {
  if (!usage || typeof usage !== 'object') return;
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  note.promptTokens = tokens(u.prompt_tokens);
  note.completionTokens = tokens(u.completion_tokens);
}

/** The time to the first token, once: the first event that carries text. */
export function noteFirstToken(note: UsageNote, hasText: boolean): void {
  if (hasText && note.ttftMs === null) note.ttftMs = Math.max(1, Math.round(note.elapsedMs()));
}

/** One event payload of an upstream stream, or the error that ends it. */
export function parseEvent(payload: string): Record<string, unknown> {
  try {
    const value = JSON.parse(payload) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw ProxyError.upstream('The upstream sent an invalid stream event.');
}

/** A chat chunk's `error` (some upstreams report failures inside a 200 stream): noted as 502. */
export function noteStreamError(note: UsageNote, event: Record<string, unknown>): void {
  const error = event['error'] as { message?: unknown } | undefined;
  if (!error) return;
  note.statusCode = 502;
  note.errorMessage = typeof error.message === 'string' ? error.message : 'upstream stream error';
}
