export interface DayUsage {
  date: string;
  requests: number;
  errors: number;
  avg_response_time_ms: number;
  p95_response_time_ms: number;
  /** USD, to the nano-dollar (0 when nothing was priced). */
  cost_usd: number;
}

export interface ModelUsage {
  model: string;
  requests: number;
  errors: number;
  avg_response_time_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** USD, to the nano-dollar. */
  cost_usd: number;
}

export interface TokenUsage {
  token_id: number;
  name: string;
  requests: number;
  /** USD, to the nano-dollar. */
  cost_usd: number;
}

export interface StatusUsage {
  status_code: number;
  count: number;
}

export interface UsageSummary {
  days: number;
  total_requests: number;
  success_requests: number;
  error_requests: number;
  success_rate: number;
  avg_response_time_ms: number;
  p50_response_time_ms: number;
  p95_response_time_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  /**
   * USD spent in the window at the models' prices (models.json `price`), to the nano-dollar:
   * each request's cost is rounded to 1e-9 USD once and the sums are exact. Requests of
   * models without a price add nothing.
   */
  cost_usd: number;
  active_tokens: number;
  by_day: DayUsage[];
  by_model: ModelUsage[];
  by_token: TokenUsage[];
  by_status: StatusUsage[];
}

export interface UsageLogEntry {
  id: number;
  created_at: string;
  token_id: number | null;
  token_name: string | null;
  model: string;
  endpoint: string;
  stream: boolean;
  status_code: number;
  response_time_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  error_message: string | null;
  /** The token counts were estimated by the proxy (a tokenizer), not reported by the upstream. */
  usage_estimated: boolean;
  /** USD at the model's price, to the nano-dollar; null when the model has no price or the request no token counts. */
  cost_usd: number | null;
}

export interface UsageLogPage {
  logs: UsageLogEntry[];
  next_cursor: string | null;
}

/** Query of GET /api/usage/logs; absent fields are not sent. */
export interface UsageLogQuery {
  /** 1..1000, default 100. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
  model?: string;
  /** Exact endpoint path, e.g. `/v1/embeddings`. */
  endpoint?: string;
  token_id?: number;
  /** `success`, `error`, or an HTTP status code such as `429`. */
  status?: string;
  /** Case-insensitive text in the model, the token name or the error message. */
  q?: string;
  /** Only the last N UTC days (default: every stored row). */
  days?: number;
  /** `all`: every user's rows (admins only). */
  scope?: UsageScopeParam;
}

export type UsageScopeParam = 'mine' | 'all';
