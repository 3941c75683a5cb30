import type { OpenAiErrorBody } from '@lmarena-bridge/contracts';

/** An error answered in the OpenAI shape: `{"error":{message,type,param,code}}`. */
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ProxyError';
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static invalidRequest(message: string, param: string | null = null): ProxyError {
    return new ProxyError(400, 'invalid_request_error', 'invalid_request', message, param);
  }

  static invalidJson(message: string): ProxyError {
    return new ProxyError(400, 'invalid_request_error', 'invalid_json', message);
  }

  static payloadTooLarge(limitBytes: number): ProxyError {
    return new ProxyError(413, 'invalid_request_error', 'payload_too_large', `The request body is larger than the limit of ${limitBytes} bytes.`);
  }

  static unauthorized(message: string): ProxyError {
    return new ProxyError(401, 'invalid_request_error', 'invalid_api_key', message, null, { 'WWW-Authenticate': 'Bearer' });
  }

  static modelNotAllowed(model: string): ProxyError {
    return new ProxyError(403, 'permission_error', 'model_not_allowed', `This API key may not use the model "${model}".`, 'model');
  }

  /** The token's (or the proxy-wide) IP rules refuse the client's address. */
  static ipNotAllowed(): ProxyError {
    return new ProxyError(403, 'permission_error', 'ip_not_allowed', 'Requests from this address are not allowed with this API key.');
  }

  /** rpm, tpm or max_parallel: retry after `retryAfterSeconds`. */
  static rateLimited(message: string, retryAfterSeconds: number): ProxyError {
    return new ProxyError(429, 'rate_limit_error', 'rate_limit_exceeded', message, null, { 'Retry-After': String(retryAfterSeconds) });
  }

  /** daily_requests, monthly_tokens or monthly_budget_usd: used up until the period resets. */
  static quotaExceeded(message: string, retryAfterSeconds: number): ProxyError {
    return new ProxyError(429, 'insufficient_quota', 'quota_exceeded', message, null, { 'Retry-After': String(retryAfterSeconds) });
  }

  static modelNotFound(model: string): ProxyError {
    return new ProxyError(
      404,
      'invalid_request_error',
      'model_not_found',
      `The model "${model}" does not exist. GET /v1/models lists the available models.`,
      'model',
    );
  }

  static unsupportedEndpoint(model: string, endpoint: string): ProxyError {
    return new ProxyError(
      400,
      'invalid_request_error',
      'unsupported_endpoint',
      `The model "${model}" cannot be used on ${endpoint}: its provider does not serve it.`,
      'model',
    );
  }

  /** The upstream refused the proxy's own key: the client's token is fine, the configuration is not. */
  static upstreamCredentials(provider: string, status: number, envName: string): ProxyError {
    const check = envName ? `check ${envName}` : `set api_key_env for the provider "${provider}"`;
    return new ProxyError(
      502,
      'upstream_error',
      'upstream_error',
      `The upstream "${provider}" answered ${status}: the upstream refused the proxy's credentials (${check}).`,
    );
  }

  static upstream(message: string): ProxyError {
    return new ProxyError(502, 'upstream_error', 'upstream_error', message);
  }

  static unavailable(message: string): ProxyError {
    return new ProxyError(503, 'upstream_error', 'upstream_unavailable', message);
  }

  /** The database is down (a token not yet cached cannot be checked): retry shortly. */
  static databaseUnavailable(message: string): ProxyError {
    return new ProxyError(503, 'server_error', 'service_unavailable', message, null, { 'Retry-After': '1' });
  }

  static timeout(message: string): ProxyError {
    return new ProxyError(504, 'upstream_error', 'upstream_timeout', message);
  }
}
