import type {
  AdminToken,
  AdminUser,
  BridgeBrowser,
  BridgeKey,
  BridgeModel,
  BridgeState,
  CreatedToken,
  DashboardStatus,
  Token,
  UsageLogEntry,
  UsageSummary,
  User,
  UsageNow,
} from '@lmarena-bridge/contracts';
import { NO_LIMITS } from '@lmarena-bridge/contracts';

// Small builders for test data: the defaults are valid, tests override what they test.

let seq = 0;
const next = () => ++seq;

export function aUser(overrides: Partial<User> = {}): User {
  const id = overrides.id ?? next();
  return {
    id,
    username: `user${id}`,
    email: `user${id}@example.com`,
    role: 'user',
    created_at: '2026-11-01T10:00:00.000Z',
    last_login_at: null,
    limits: { ...NO_LIMITS },
    ...overrides,
  };
}

export function anAdmin(overrides: Partial<User> = {}): User {
  return aUser({ role: 'admin', ...overrides });
}

export function anAdminUser(overrides: Partial<AdminUser> = {}): AdminUser {
  return { ...aUser(overrides), disabled: false, token_count: 0, ...overrides };
}

export function aToken(overrides: Partial<Token> = {}): Token {
  const id = overrides.id ?? next();
  return {
    id,
    name: `token ${id}`,
    hint: `sk-lmarena-…${String(id).padStart(4, '0')}`,
    created_at: '2026-11-02T09:00:00.000Z',
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    status: 'active',
    limits: { ...NO_LIMITS },
    usage_now: aUsageNow(),
    ...overrides,
  };
}

/** Nothing used yet. */
export function aUsageNow(overrides: Partial<UsageNow> = {}): UsageNow {
  return { minute_requests: 0, minute_tokens: 0, in_flight: 0, day_requests: 0, month_tokens: 0, month_cost_usd: 0, ...overrides };
}

export function aCreatedToken(overrides: Partial<CreatedToken> = {}): CreatedToken {
  return { ...aToken(overrides), token: 'sk-lmarena-secretsecretsecretabcd', ...overrides };
}

export function anAdminToken(overrides: Partial<AdminToken> = {}): AdminToken {
  return { ...aToken(overrides), user_id: 1, username: 'alice', ...overrides };
}

export function aLog(overrides: Partial<UsageLogEntry> = {}): UsageLogEntry {
  const id = overrides.id ?? next();
  return {
    id,
    created_at: '2026-11-20T12:00:00.000Z',
    token_id: 1,
    token_name: 'laptop',
    model: 'echo',
    endpoint: '/v1/chat/completions',
    stream: false,
    status_code: 200,
    response_time_ms: 120,
    ttft_ms: null,
    prompt_tokens: 10,
    completion_tokens: 5,
    error_message: null,
    usage_estimated: false,
    cost_usd: null,
    ...overrides,
  };
}

/** A summary over `days` days whose totals agree with its per-day rows. */
export function aSummary(overrides: Partial<UsageSummary> = {}, days = 3): UsageSummary {
  const by_day = Array.from({ length: days }, (_, i) => ({
    date: `2026-11-${String(20 + i).padStart(2, '0')}`,
    requests: i + 1,
    errors: i === days - 1 ? 1 : 0,
    avg_response_time_ms: 100 + i,
    p95_response_time_ms: 200 + i,
    cost_usd: 0.01 * (i + 1),
  }));
  const total = by_day.reduce((n, d) => n + d.requests, 0);
  const errors = by_day.reduce((n, d) => n + d.errors, 0);
  const cost = Math.round(by_day.reduce((n, d) => n + d.cost_usd, 0) * 1e9) / 1e9;
  return {
    days,
    total_requests: total,
    success_requests: total - errors,
    error_requests: errors,
    success_rate: (total - errors) / total,
    avg_response_time_ms: 101,
    p50_response_time_ms: 95,
    p95_response_time_ms: 202,
    prompt_tokens: 600,
    completion_tokens: 300,
    cost_usd: cost,
    active_tokens: 2,
    by_day,
    by_model: [
      // echo has no price; gpt-x carries the whole cost.
      { model: 'echo', requests: total - 1, errors, avg_response_time_ms: 100, prompt_tokens: 500, completion_tokens: 250, cost_usd: 0 },
      { model: 'gpt-x', requests: 1, errors: 0, avg_response_time_ms: 150, prompt_tokens: 100, completion_tokens: 50, cost_usd: cost },
    ],
    by_token: [{ token_id: 1, name: 'laptop', requests: total, cost_usd: cost }],
    by_status: [
      { status_code: 200, count: total - errors },
      { status_code: 429, count: errors },
    ],
    ...overrides,
  };
}

export function aStatus(overrides: Partial<DashboardStatus> = {}): DashboardStatus {
  return {
    status: 'ok',
    database: 'ok',
    database_latency_ms: 2,
    proxy: 'ok',
    proxy_latency_ms: 1,
    database_type: 'sqlite',
    bridge: { browsers: 0, models: 0 },
    uptime_s: 60,
    version: '0.1.0',
    ...overrides,
  };
}

export function aBridgeBrowser(overrides: Partial<BridgeBrowser> = {}): BridgeBrowser {
  return {
    browser_id: `browser-${next()}`,
    key_id: null,
    origin: 'https://arena.ai',
    version: '1.0.0',
    connected_at: '2026-12-01T09:00:00.000Z',
    in_flight: 0,
    last_error: null,
    ...overrides,
  };
}

export function aBridgeKey(overrides: Partial<BridgeKey> = {}): BridgeKey {
  const id = overrides.id ?? next();
  return { id, name: `browser ${id}`, created_at: '2026-12-01T08:00:00.000Z', last_used_at: null, revoked_at: null, ...overrides };
}

export function aBridgeModel(overrides: Partial<BridgeModel> = {}): BridgeModel {
  const n = next();
  return {
    id: `0199c1f2-0000-7000-8000-${String(n).padStart(12, '0')}`,
    public_name: `model-${n}`,
    organization: 'org',
    capabilities: { inputCapabilities: { text: true }, outputCapabilities: { text: true } },
    reported_at: '2026-12-01T09:00:00.000Z',
    ...overrides,
  };
}

export function aBridgeState(overrides: Partial<BridgeState> = {}): BridgeState {
  return { browsers: [], keys: [], models: [], ...overrides };
}
