import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { resolveTarget, TargetRefused } from './target-guard';

export interface SendResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** At most 1 KB of the answer. */
  responseBody: string | null;
}

export const SEND_TIMEOUT_MS = 5_000;
const MAX_BODY_BYTES = 1024;

/**
 * One POST of a webhook: SSRF-checked target, connected to the checked address, redirects not
 * followed (a 3xx is an answer like any other, and not a success), 5 s for the whole exchange,
 * at most 1 KB of the answer read. Never throws.
 */
export async function sendWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  allowPrivate: boolean,
  timeoutMs = SEND_TIMEOUT_MS,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let agent: Agent | undefined;
  try {
    const target = await resolveTarget(rawUrl, allowPrivate);
    // Pins the connection to the address checked above whatever the name resolves to now.
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all)
        (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    };
    agent = new Agent({ connect: { lookup: pinned, timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connections: 1, pipelining: 0 });
    const res = await request(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'LMArena-Bridge-Webhooks/1', ...headers },
      body,
      dispatcher: agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      chunks.push(buf.subarray(0, MAX_BODY_BYTES - size));
      size += Math.min(buf.length, MAX_BODY_BYTES - size);
      if (size >= MAX_BODY_BYTES) break; // leaving the loop destroys the stream: the rest is never read
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return {
      statusCode: res.statusCode,
      latencyMs: elapsed(),
      error: ok ? null : `HTTP ${res.statusCode}`,
      responseBody: truncateUtf8(Buffer.concat(chunks)),
    };
  } catch (err) {
    const message = err instanceof TargetRefused ? `refused: ${err.message}` : describeError(err, timeoutMs);
    return { statusCode: null, latencyMs: elapsed(), error: message.slice(0, 500), responseBody: null };
  } finally {
    void agent?.destroy().catch(() => undefined);
  }
}

function truncateUtf8(buf: Buffer): string | null {
  if (buf.length === 0) return null;
  let text = buf.toString('utf8');
  // A cut in the middle of a character decodes to U+FFFD; drop it, and keep the column's 1024 characters.
  if (text.endsWith('\uFFFD')) text = text.slice(0, -1);
  return text.slice(0, MAX_BODY_BYTES);
}

function describeError(err: unknown, timeoutMs: number): string {
  // Not `instanceof Error`: the abort signal's DOMException may come from another realm (tests run in a VM context).
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: { name?: unknown; code?: unknown; message?: unknown } };
  const names = [e.name, e.code, e.cause?.name, e.cause?.code];
  // The timeout surfaces as the error, its name, code or cause depending on the phase it hit.
  if (names.some((n) => n === 'TimeoutError' || n === 'AbortError' || n === 'UND_ERR_HEADERS_TIMEOUT' || n === 'UND_ERR_CONNECT_TIMEOUT')) {
    return `timed out after ${timeoutMs / 1000} s`;
  }
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e.message === 'string' && e.message ? e.message : typeof e.cause?.message === 'string' ? e.cause.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
