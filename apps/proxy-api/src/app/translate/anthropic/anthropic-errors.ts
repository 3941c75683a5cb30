import type { ProxyError } from '../../errors/proxy-error';
import { sseFrame } from '../chat-types';

/** Anthropic's error type for an HTTP status (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function anthropicError(status: number, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: anthropicErrorType(status), message } };
}

/** Anthropic's error shape `{"type":"error","error":{type,message}}`; a started stream ends with an `error` event. */
export const ANTHROPIC_ERRORS = {
  body: (err: ProxyError) => anthropicError(err.status, err.message),
  streamEnd: (err: ProxyError) => sseFrame('error', anthropicError(err.status, err.message)),
};
