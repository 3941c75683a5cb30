export interface ListenConfig {
  host: string;
  port: number;
}

export interface ProxyConfig extends ListenConfig {
  /** Largest accepted request body, in bytes. */
  max_body_bytes: number;
  /** Total size of the request bodies being read or held at one time, in bytes (503 above it). */
  max_inflight_body_bytes: number;
  /**
   * Addresses or CIDR ranges of the load balancers in front of the proxy. A request arriving
   * from one of them is attributed to the `X-Forwarded-For` hop before it (the rightmost address
   * that is not a trusted proxy); from anywhere else, to the socket's address. Empty: the socket.
   */
  trusted_proxies: readonly string[];
}

/** How token limits are counted (the limits themselves are set per token in the dashboard). */
export interface LimitsConfig {
  /** Completion tokens reserved against tpm / monthly_tokens / budget when a request sets no max_tokens. */
  default_max_tokens: number;
  /** How long an admitted request holds its max_parallel slot and reservations if its instance never settles it. */
  lease_ttl_seconds: number;
}

export interface DashboardConfig extends ListenConfig {
  allow_registration: boolean;
  session_ttl_hours: number;
  /** `Secure` session cookie; defaults to true when public_url is https. */
  secure_cookies: boolean;
  /**
   * Failed sign-ins (and password checks) per minute for one account from one client
   * address. The account is the user id when the login name exists (username and email
   * are one account), else the lower-cased name.
   */
  login_attempts_per_minute: number;
  /** Login, register, admin-init and password-check requests per minute from one client address. */
  auth_requests_per_minute: number;
  /** Where browsers reach the dashboard, e.g. https://dash.example.com; empty: not set. */
  public_url: string;
  /**
   * Host names (lower case, any port) the dashboard answers to; any other Host → 421.
   * `*` allows every host. IPv6 literals in brackets: `[::1]`.
   */
  allowed_hosts: readonly string[];
  /** Reverse-proxy hops whose X-Forwarded-For is trusted for the client address (0: none). */
  trust_proxy_hops: number;
}

export type DatabaseTarget = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

export interface DatabaseConfig {
  /** The URL as written (or from DATABASE_URL), for messages. */
  url: string;
  target: DatabaseTarget;
  /**
   * PostgreSQL: longest a statement runs, a query waits for its answer, or a request waits for
   * a connection, before it fails (and the request gets 503). SQLite uses its busy timeout.
   */
  query_timeout_ms: number;
}

export interface UsageConfig {
  retention_days: number;
  /** Rows written per transaction by the batched recorder. */
  batch_size: number;
  /** Longest a recorded row waits in memory before it is written. */
  flush_interval_ms: number;
  /** Rows held in memory at most; past it (or while the database is down) rows live in the spool only. */
  max_queue: number;
  /**
   * Absolute path of the folder of the append-only spool: every batch is written there before
   * the database sees it, and rows the database could not take are replayed from it.
   */
  spool_dir: string;
}

export interface EchoProviderConfig {
  type: 'echo';
}

export interface OpenAiProviderConfig {
  type: 'openai';
  base_url: string;
  /** Name of the environment variable holding the key; empty: no key sent. */
  api_key_env: string;
  timeout_ms: number;
  /** The upstream speaks the Responses API (/v1/responses is passed through, not translated to chat). */
  responses: boolean;
}

export interface LmarenaProviderConfig {
  type: 'lmarena';
}

export type ProviderConfig = EchoProviderConfig | OpenAiProviderConfig | LmarenaProviderConfig;
export type ProviderType = ProviderConfig['type'];

/** What a model costs, in USD per million tokens (`"price"` of a models.json entry). */
export interface ModelPrice {
  inputPerMtok: number;
  outputPerMtok: number;
}

/** One public model name and where it goes. */
export interface ModelRoute {
  name: string;
  /** Key in `providers`. */
  provider: string;
  type: ProviderType;
  /** Model id sent upstream. */
  upstream_model: string;
  /** LMArena only: `"<uuid>:image"` in models.json (the original format) forces image output. */
  modality?: 'image';
  /** Null: no price given, requests of this model have no cost (`cost_usd` null). */
  price: ModelPrice | null;
}

/** The LMArena browser bridge (WebSocket /ws on the proxy port). */
export interface BridgeConfig {
  /**
   * Optional shared secret a userscript may present instead of a bridge key (scripted
   * setups). Empty: only bridge keys made in the dashboard are accepted.
   */
  secret: string;
  /** Page origins allowed to open /ws (exact match, e.g. "https://arena.ai"). */
  allowed_origins: readonly string[];
  /** A request whose browser stays silent this long answers 504. */
  timeout_seconds: number;
  /** Requests one browser relays at once; when every browser is full the proxy answers 503. */
  max_in_flight_per_browser: number;
  /**
   * The WebSocket URL written into downloaded userscripts. Empty: derived from proxy.host and
   * proxy.port (`ws://127.0.0.1:5102/ws` by default).
   */
  public_url: string;
}

/** GET /metrics on both servers. */
export interface MetricsConfig {
  /** Non-empty: /metrics answers only `Authorization: Bearer <token>` (env METRICS_TOKEN). */
  token: string;
}

/** Outgoing webhooks (the dashboard's delivery worker). */
export interface WebhooksConfig {
  /**
   * Server key (env WEBHOOK_SECRET_KEY), at least 32 characters: webhook signing secrets are
   * stored encrypted with AES-256-GCM under a key derived from it. Empty: webhooks can't be
   * created (503 `webhooks_not_configured`); every dashboard instance needs the same key.
   */
  secret_key: string;
  /** Allow targets that resolve to private, loopback, link-local or unique-local addresses. */
  allow_private: boolean;
}

/** E-mail (usage reports, token-expiry notices) through nodemailer. */
export interface EmailConfig {
  /** e.g. smtps://user:pass@smtp.example.com:465 (env SMTP_URL); empty: no e-mail is sent. */
  smtp_url: string;
  /** The From address, e.g. "LMArena Bridge <bridge@example.com>". */
  from: string;
}

export interface AppConfig {
  /** Absolute path of the config file that was read. */
  config_path: string;
  /** Absolute path of the models file that was read. */
  models_path: string;
  use_dashboard_tokens: boolean;
  api_key: string;
  proxy: ProxyConfig;
  dashboard: DashboardConfig;
  database: DatabaseConfig;
  redis: {
    url: string;
    /** Prefix of every key this installation writes to Redis. */
    key_prefix: string;
  };
  usage: UsageConfig;
  limits: LimitsConfig;
  bridge: BridgeConfig;
  metrics: MetricsConfig;
  webhooks: WebhooksConfig;
  email: EmailConfig;
  providers: Readonly<Record<string, ProviderConfig>>;
  models: readonly ModelRoute[];
}

/** Key of the built-in provider that serves string entries of models.json. */
export const LMARENA_PROVIDER = 'lmarena';
