import { ProxyError } from '../../errors/proxy-error';
import type { BridgeRelayError } from './bridge-transport';
import { errorText, isHtmlPage, looksLikeCloudflare, SiteErrorKind } from './site-stream-parser';

/**
 * Site failures → the contract's errors (api.md, issue 11), each message telling the user
 * what to do in the browser. `refresh`: the tab should reload (Cloudflare page).
 *
 * | site | client gets |
 * |---|---|
 * | 403 / "recaptcha validation failed" | 502 upstream_error: solve the challenge in the arena.ai tab |
 * | 401 / "unauthorized" | 502 upstream_error: sign in again on arena.ai |
 * | other 403 | 502 upstream_error: check the tab (signed in, no challenge) |
 * | 429 / "resource exhausted" / "rate limit" | 429 rate_limit_exceeded + Retry-After (the site's, else 30 s) |
 * | an HTML page (Cloudflare) | 503 upstream_unavailable, the tab is reloaded |
 * | 400 | 502 upstream_error with the site's message |
 * | status 0 (the browser's fetch failed) | 502 upstream_error: check the tab is open and online |
 * | anything else | 502 upstream_error with the status and the site's message |
 */
export interface SiteFailure {
  error: ProxyError;
  refresh: boolean;
}

/** Retry-After when the site gave none: long enough for its per-minute limits to refill. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;
const MAX_RETRY_AFTER_SECONDS = 3600;
const SNIPPET = 300;

const RECAPTCHA_MESSAGE = 'LMArena rejected the reCAPTCHA token: open the arena.ai tab, solve the challenge if one is shown, then retry.';
const SIGN_IN_MESSAGE = 'LMArena says you are not signed in (401): sign in again on arena.ai in the browser that runs the userscript, then retry.';
const CLOUDFLARE_MESSAGE =
  'LMArena answered with a Cloudflare check page instead of the answer: the arena.ai tab is being reloaded; solve the check there if one is shown, then retry.';

/** The site's message on one line, short enough for a client error. */
function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET ? `${flat.slice(0, SNIPPET)}…` : flat;
}

/** A relayed body is often the site's JSON (`{"error": …}`): its message, else the text. */
function siteMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) return errorText(parsed);
  } catch {
    // plain text
  }
  return text;
}

/** Seconds to wait, from `Retry-After: 12`, `"retryAfter": 12` or "try again in 2 minutes". */
export function retryAfterSeconds(text: string): number {
  const header = /retry[-_ ]?after["']?\s*[:=]?\s*["']?(\d+(?:\.\d+)?)/i.exec(text);
  const prose = /(?:try again|retry) in (\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m)\b/i.exec(text);
  let seconds: number | null = null;
  if (header) seconds = Number(header[1]);
  else if (prose) seconds = Number(prose[1]) * (/^m/i.test(prose[2]) ? 60 : 1);
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(seconds));
}

function rateLimited(text: string): SiteFailure {
  const seconds = retryAfterSeconds(text);
  const said = snippet(siteMessage(text));
  return {
    refresh: false,
    error: new ProxyError(
      429,
      'rate_limit_error',
      'rate_limit_exceeded',
      `LMArena's rate limit was reached${said ? ` (${said})` : ''}: retry in ${seconds} seconds.`,
      null,
      { 'Retry-After': String(seconds) },
    ),
  };
}

const cloudflare = (): SiteFailure => ({ refresh: true, error: ProxyError.unavailable(CLOUDFLARE_MESSAGE) });
const RATE_LIMIT_TEXT = /resource[_ ]exhausted|rate[- ]?limit|too many requests|quota exceeded/i;
const SIGN_IN_TEXT = /unauthori[sz]ed|not (?:signed|logged) in|sign[- ]?in required|login required|session expired/i;

/** A failure the browser reported for the site request (`data: {"error", "status"}`). */
export function relayFailure(err: BridgeRelayError): SiteFailure {
  const text = err.message ?? '';
  const said = snippet(siteMessage(text));
  if (isHtmlPage(text) || looksLikeCloudflare(text)) return cloudflare();
  if (/recaptcha/i.test(text)) return { refresh: false, error: ProxyError.upstream(RECAPTCHA_MESSAGE) };
  switch (err.status) {
    case 401:
      return { refresh: false, error: ProxyError.upstream(SIGN_IN_MESSAGE) };
    case 403:
      return {
        refresh: false,
        error: ProxyError.upstream(
          `LMArena refused the request (403${said ? `: ${said}` : ''}): open the arena.ai tab, check that you are signed in and that no challenge is shown, then retry.`,
        ),
      };
    case 429:
      return rateLimited(text);
    case 400:
      return { refresh: false, error: ProxyError.upstream(`LMArena rejected the request (400${said ? `: ${said}` : ''}).`) };
    case 0:
      return {
        refresh: false,
        error: ProxyError.upstream(
          `The browser could not reach LMArena${said ? ` (${said})` : ''}: check that the arena.ai tab is open and online, then retry.`,
        ),
      };
    default:
      if (RATE_LIMIT_TEXT.test(text)) return rateLimited(text);
      return { refresh: false, error: ProxyError.upstream(`LMArena answered ${err.status}${said ? `: ${said}` : ''}.`) };
  }
}

/** An error the site put in its answer: an `a3` line, a bare `{"error"}` body, an HTML page. */
export function answerFailure(kind: SiteErrorKind, message: string): SiteFailure {
  if (kind === 'cloudflare') return cloudflare();
  if (/recaptcha/i.test(message)) return { refresh: false, error: ProxyError.upstream(RECAPTCHA_MESSAGE) };
  if (RATE_LIMIT_TEXT.test(message)) return rateLimited(message);
  if (SIGN_IN_TEXT.test(message)) return { refresh: false, error: ProxyError.upstream(SIGN_IN_MESSAGE) };
  const said = snippet(message) || 'no details';
  return { refresh: false, error: ProxyError.upstream(kind === 'stream' ? `LMArena reported an error: ${said}` : `LMArena answered with an error: ${said}`) };
}

/** The site answered, but with nothing a client could be shown. */
export function noContentFailure(unrecognised: number, firstUnrecognised: string | null): SiteFailure {
  const hint =
    unrecognised > 0
      ? ` (${unrecognised} line${unrecognised === 1 ? '' : 's'} not understood, the first: ${snippet(firstUnrecognised ?? '')}; the site may have changed)`
      : '';
  return { refresh: false, error: ProxyError.upstream(`LMArena answered without any content${hint}.`) };
}
