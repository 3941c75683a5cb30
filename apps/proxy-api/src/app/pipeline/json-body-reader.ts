import type { IncomingMessage, ServerResponse } from 'node:http';

type Next = (err?: unknown) => void;
export type BodyMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** An error as body-parser reports it: the filter maps it by `type` and `status` (body-parser-error.ts). */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true });
}

/**
 * True for a Content-Type without a charset or with one charset=utf-8 (any case, quoted or
 * not). Anything less plain (two mentions of "charset", say) is left to body-parser, whose
 * content-type parser decides; taking the fallback is always safe, only slower.
 */
function utf8OrNoCharset(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const lower = contentType.toLowerCase();
  const at = lower.indexOf('charset');
  if (at === -1) return true;
  if (lower.indexOf('charset', at + 1) !== -1 || lower.slice(at + 7, at + 8) !== '=') return false;
  return (
    lower
      .slice(at + 8)
      .split(';', 1)[0]
      .trim()
      .replace(/^"|"$/g, '') === 'utf-8'
  );
}

/**
 * body-parser's `json({ limit, type: () => true })` for the requests chat clients send — an
 * uncompressed UTF-8 body with a Content-Length within the limit — and body-parser itself for
 * everything else (compressed or chunked bodies, other charsets, oversize declarations).
 *
 * Why: on the proxy's hot path body-parser (raw-body, iconv-lite, http-errors) was ~5 % of the
 * CPU per request. The result is the same, `req.body` or the same error type and status: an
 * empty body is `{}`, a UTF-8 byte order mark is dropped, strict mode (an object or array at
 * the top) applies; json-body-reader.spec.ts compares the two on many bodies.
 */
export function jsonBodyReader(limit: number, fallback: BodyMiddleware): BodyMiddleware {
  return (req, res, next) => {
    const headers = req.headers;
    const declared = headers['content-length'];
    const length = declared === undefined ? NaN : Number(declared);
    const plain =
      headers['transfer-encoding'] === undefined &&
      Number.isSafeInteger(length) &&
      length <= limit &&
      (headers['content-encoding'] === undefined || headers['content-encoding'].toLowerCase() === 'identity') &&
      utf8OrNoCharset(headers['content-type']);
    if (!plain || req.readableEnded) return fallback(req, res, next);

    const parts: Buffer[] = [];
    let received = 0;
    let finished = false;
    const done = (err?: unknown) => {
      if (finished) return;
      finished = true;
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('aborted', onAborted);
      // The 'error' listener stays: an aborted request may emit 'error' after 'aborted', and
      // an 'error' event nobody listens to would crash the process.
      next(err);
    };
    const onData = (part: Buffer) => {
      received += part.length;
      parts.push(part);
    };
    const onEnd = () => {
      // Node's parser frames the body by Content-Length, so a short body ends as 'aborted'.
      if (received !== length) return done(bodyError(400, 'request.size.invalid', 'request size did not match content length'));
      let text = (parts.length === 1 ? parts[0] : Buffer.concat(parts, received)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      try {
        (req as IncomingMessage & { body?: unknown }).body = parseStrict(text);
      } catch {
        return done(bodyError(400, 'entity.parse.failed', 'The request body is not valid JSON.'));
      }
      done();
    };
    const onAborted = () => done(bodyError(400, 'request.aborted', 'request aborted'));
    const onError = (err: unknown) => done(err);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  };
}

/** The first character that is not JSON whitespace (space, tab, LF, CR), or undefined. */
function firstNonWhitespace(text: string): string | undefined {
  for (const char of text) if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') return char;
  return undefined;
}

/** body-parser's strict JSON: empty is {}, otherwise an object or an array at the top. */
function parseStrict(text: string): unknown {
  if (text.length === 0) return {};
  const first = text[0] === '{' || text[0] === '[' ? text[0] : firstNonWhitespace(text);
  if (first !== '{' && first !== '[') throw new SyntaxError('strict violation');
  return JSON.parse(text);
}
