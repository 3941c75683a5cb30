/**
 * The site's answer stream → events. Lines `<prefix>:<JSON>` (the AI SDK data stream with an
 * `a`/`b` model prefix), sometimes with `data: ` in front, in any chunking. Everything the
 * site may change lives here and in its fixtures, never in the userscript.
 *
 * | line | event |
 * |---|---|
 * | `a0:"text"` | text |
 * | `ag:"text"` | reasoning |
 * | `ac:{toolCallId, argsTextDelta}` | sources, when `argsTextDelta` is JSON with `source` objects carrying a `url` |
 * | `ah:{url, title?}` | sources (the AI SDK's source part) |
 * | `a2:[{"type":"image","image":url}]` | image (`heartbeat` items are keep-alives) |
 * | `a3:"message"` | error (stream) |
 * | `ad:{finishReason, usage?}` | finish |
 * | `b…:` (model B in battles), other `a…:` codes of the AI SDK (steps, tool results) | ignored |
 * | `{"error": …}` | error (body) |
 * | an HTML page (a line starting with `<`) | error (cloudflare), the rest of the body ignored |
 *
 * Lines that parse as none of these are counted (`unrecognised`), so a site change shows
 * in the error a client gets instead of a silent empty answer.
 */

export interface SiteSource {
  url: string;
  title?: string;
}

export interface SiteUsage {
  promptTokens: number;
  completionTokens: number;
}

export type SiteErrorKind = 'stream' | 'body' | 'cloudflare';

export type SiteEvent =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'image'; url: string }
  | { type: 'sources'; sources: SiteSource[] }
  | { type: 'finish'; reason: string | null; usage?: SiteUsage }
  | { type: 'error'; kind: SiteErrorKind; message: string };

/** Bodies larger than this are not kept for the end-of-body checks (HTML, pretty JSON). */
const HEAD_LIMIT = 64 * 1024;
/** No site line comes near this (images are URLs); a longer one is dropped. */
export const MAX_LINE = 4 * 1024 * 1024;
const CLOUDFLARE_MARKERS = [
  /<title>\s*just a moment/i,
  /attention required!/i,
  /enable javascript and cookies/i,
  /cloudflare/i,
  /cf-ray/i,
  /challenge-platform/i,
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
}

/** `{promptTokens, completionTokens}` (AI SDK), `{inputTokens, outputTokens}` or OpenAI's names. */
function siteUsage(value: unknown): SiteUsage | undefined {
  if (!isObject(value)) return undefined;
  const prompt = count(value['promptTokens'] ?? value['inputTokens'] ?? value['prompt_tokens']);
  const completion = count(value['completionTokens'] ?? value['outputTokens'] ?? value['completion_tokens']);
  return prompt === null || completion === null ? undefined : { promptTokens: prompt, completionTokens: completion };
}

/** The message of an error value: a string, `{message}`, `{error}` or JSON of it. */
export function errorText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    for (const key of ['message', 'error', 'detail']) {
      const inner = value[key];
      if (inner !== undefined && inner !== null) return errorText(inner);
    }
  }
  return JSON.stringify(value) ?? String(value);
}

/** A web page where the answer should be (Cloudflare's challenge, or any HTML). */
export function isHtmlPage(text: string): boolean {
  return /^\s*</.test(text);
}

export function looksLikeCloudflare(text: string): boolean {
  return CLOUDFLARE_MARKERS.some((marker) => marker.test(text));
}

function sources(args: unknown): SiteSource[] {
  const found: SiteSource[] = [];
  const add = (item: unknown) => {
    if (isObject(item) && typeof item['url'] === 'string' && /^https?:\/\//i.test(item['url'])) {
      found.push({ url: item['url'], ...(typeof item['title'] === 'string' && item['title'] !== '' ? { title: item['title'] } : {}) });
    }
  };
  if (isObject(args)) {
    const source = args['source'] ?? args['sources'];
    if (Array.isArray(source)) source.forEach(add);
    else add(source);
  }
  return found;
}

export class SiteStreamParser {
  private pending = '';
  private skipping = false;
  private html = false;
  private head = '';
  private headFull = false;
  private produced = 0;
  /** Lines that matched no known shape, and the first of them (for error messages). */
  unrecognised = 0;
  firstUnrecognised: string | null = null;

  /** Feeds a piece of the body; returns the events of the lines it completed. */
  push(chunk: string): SiteEvent[] {
    this.keepHead(chunk);
    if (this.html) return [];
    const events: SiteEvent[] = [];
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      // Most pieces end inside a line: only the new text is searched for its end.
      this.pending += chunk;
      if (this.pending.length > MAX_LINE) this.skipOverlong();
      return events;
    }
    let start = 0;
    for (; nl !== -1 && !this.html; nl = chunk.indexOf('\n', start)) {
      const text = this.pending + chunk.slice(start, nl);
      this.pending = '';
      if (this.skipping) {
        this.skipping = false;
      } else {
        this.line(text, events);
      }
      start = nl + 1;
    }
    if (!this.html) {
      this.pending = chunk.slice(start);
      if (this.pending.length > MAX_LINE) this.skipOverlong();
    }
    return events;
  }

  /**
   * A line longer than any answer line can be (no newline in megabytes) is dropped as
   * unrecognised up to its end, so a runaway body cannot grow the buffer without bound.
   */
  private skipOverlong(): void {
    if (!this.skipping) this.unknown(this.pending.slice(0, 201));
    this.skipping = true;
    this.pending = '';
  }

  /** The body ended: the last unterminated line, and the checks that need the whole body. */
  end(): SiteEvent[] {
    const events: SiteEvent[] = [];
    if (!this.html && !this.skipping && this.pending !== '') this.line(this.pending, events);
    this.pending = '';
    this.skipping = false;
    if (this.html) {
      const message = looksLikeCloudflare(this.head)
        ? 'LMArena answered with a Cloudflare check page instead of the answer'
        : 'LMArena answered with a web page instead of the answer stream';
      events.push({ type: 'error', kind: 'cloudflare', message });
      return events;
    }
    // A pretty-printed JSON error body arrives as several lines that parse one by one as nothing.
    if (this.produced === 0 && events.length === 0 && !this.headFull && this.unrecognised > 0) {
      try {
        const whole: unknown = JSON.parse(this.head);
        if (isObject(whole) && 'error' in whole) {
          this.unrecognised = 0;
          this.firstUnrecognised = null;
          events.push({ type: 'error', kind: 'body', message: errorText(whole['error']) });
        }
      } catch {
        // not JSON either: the unrecognised lines stay counted
      }
    }
    return events;
  }

  private keepHead(chunk: string): void {
    if (this.headFull) return;
    if (this.head.length + chunk.length > HEAD_LIMIT) {
      this.headFull = true;
      this.head = (this.head + chunk).slice(0, HEAD_LIMIT);
    } else {
      this.head += chunk;
    }
  }

  private line(raw: string, events: SiteEvent[]): void {
    if (raw.length > MAX_LINE) return this.unknown(raw.slice(0, 201));
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    if (line.startsWith('data:')) line = line.slice(line.startsWith('data: ') ? 6 : 5);
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed === '[DONE]') return;
    if (trimmed.startsWith('<')) {
      this.html = true;
      return;
    }
    const before = events.length;
    if (trimmed.startsWith('{')) this.bareJson(trimmed, events);
    else this.prefixed(trimmed, events);
    this.produced += events.length - before;
  }

  private unknown(line: string): void {
    this.unrecognised++;
    if (this.firstUnrecognised === null) this.firstUnrecognised = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  }

  private bareJson(line: string, events: SiteEvent[]): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return this.unknown(line);
    }
    if (isObject(value) && 'error' in value) events.push({ type: 'error', kind: 'body', message: errorText(value['error']) });
    else this.unknown(line);
  }

  private prefixed(line: string, events: SiteEvent[]): void {
    const colon = line.indexOf(':');
    const prefix = colon > 0 ? line.slice(0, colon) : '';
    // `a`/`b` (model A/B) + an AI SDK data stream code (0-9, a-k); anything else is new to us.
    if (!/^[ab][0-9a-k]$/.test(prefix)) return this.unknown(line);
    // Model B of a battle; direct mode has none, and its lines are not ours to show.
    if (prefix[0] === 'b') return;
    let value: unknown;
    try {
      value = JSON.parse(line.slice(colon + 1));
    } catch {
      return this.unknown(line);
    }
    switch (prefix) {
      case 'a0':
        if (typeof value !== 'string') return this.unknown(line);
        if (value !== '') events.push({ type: 'text', text: value });
        return;
      case 'ag':
        if (typeof value !== 'string') return this.unknown(line);
        if (value !== '') events.push({ type: 'reasoning', text: value });
        return;
      case 'ac': {
        if (!isObject(value)) return this.unknown(line);
        const delta = value['argsTextDelta'];
        let args: unknown = delta;
        if (typeof delta === 'string') {
          try {
            args = JSON.parse(delta);
          } catch {
            // a partial tool-call argument: nothing to cite from it
            return;
          }
        }
        const found = sources(args);
        if (found.length > 0) events.push({ type: 'sources', sources: found });
        return;
      }
      case 'ah': {
        // An AI SDK source part: {sourceType: "url", id, url, title?}.
        const found = sources({ source: value });
        if (found.length > 0) events.push({ type: 'sources', sources: found });
        return;
      }
      case 'a2':
        if (!Array.isArray(value)) return this.unknown(line);
        for (const item of value) {
          if (isObject(item) && item['type'] === 'image' && typeof item['image'] === 'string' && item['image'] !== '') {
            events.push({ type: 'image', url: item['image'] });
          }
          // `heartbeat` and anything else: keep-alives and extras
        }
        return;
      case 'a3':
        events.push({ type: 'error', kind: 'stream', message: errorText(value) });
        return;
      case 'ad': {
        const reason = isObject(value) && typeof value['finishReason'] === 'string' ? value['finishReason'] : null;
        const usage = isObject(value) ? siteUsage(value['usage']) : undefined;
        events.push({ type: 'finish', reason, ...(usage ? { usage } : {}) });
        return;
      }
      default:
        // a1/a9/aa/ab (tool calls and results), ae/af (steps), a8 (annotations), ai/aj (redacted
        // reasoning, signatures), ak (files): nothing to show.
        return;
    }
  }
}
