import { ProxyError } from './proxy-error';

/**
 * body-parser's errors (http-errors with a numeric `status` and a string `type`) as the
 * contract's errors; anything else is returned unchanged.
 */
export function bodyParserError(err: unknown, limitBytes: number): unknown {
  const candidate = err as { type?: unknown; status?: unknown; code?: unknown } | null;
  const type = candidate?.type;
  // A body that is not what its Content-Encoding claims: body-parser passes zlib's error on
  // with status 400 but without a type (it used to end as a 500 internal_error).
  if (type === undefined && candidate?.status === 400 && isZlibError(candidate.code)) {
    return ProxyError.invalidRequest('The request body could not be decompressed: it does not match its Content-Encoding.');
  }
  if (typeof type !== 'string' || typeof candidate?.status !== 'number') return err;
  if (type === 'entity.parse.failed') return ProxyError.invalidJson('The request body is not valid JSON.');
  if (type === 'entity.too.large') return ProxyError.payloadTooLarge(limitBytes);
  if (type === 'request.aborted') return err;
  if (type.startsWith('encoding.') || type === 'charset.unsupported') {
    return ProxyError.invalidRequest('The request body encoding is not supported: send UTF-8 JSON.');
  }
  return ProxyError.invalidRequest('The request body could not be read.');
}

/** zlib's error codes (Z_DATA_ERROR, …) and brotli's (ERR__ERROR_FORMAT_…). */
function isZlibError(code: unknown): boolean {
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR'));
}
