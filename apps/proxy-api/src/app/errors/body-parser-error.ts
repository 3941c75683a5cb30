import { ProxyError } from './proxy-error';

/**
 * body-parser's errors (http-errors with a numeric `status` and a string `type`) as the
 * contract's errors; anything else is returned unchanged.
 */
export function bodyParserError(err: unknown, limitBytes: number): unknown {
  const candidate = err as { type?: unknown; status?: unknown } | null;
  const type = candidate?.type;
  if (typeof type !== 'string' || typeof candidate?.status !== 'number') return err;
  if (type === 'entity.parse.failed') return ProxyError.invalidJson('The request body is not valid JSON.');
  if (type === 'entity.too.large') return ProxyError.payloadTooLarge(limitBytes);
  if (type === 'request.aborted') return err;
  if (type.startsWith('encoding.') || type === 'charset.unsupported') {
    return ProxyError.invalidRequest('The request body encoding is not supported: send UTF-8 JSON.');
  }
  return ProxyError.invalidRequest('The request body could not be read.');
}
