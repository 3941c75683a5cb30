import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from './config-error';
import { readJsoncFile } from './jsonc-file';
import { isPlainObject, ObjectReader } from './object-reader';
import { AppConfig, DatabaseConfig, DatabaseTarget, LMARENA_PROVIDER, ModelRoute, ProviderConfig } from './config.types';

export interface LoadConfigOptions {
  /** Environment to read overrides from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Folder that a relative LMB_CONFIG and the default config path resolve against. */
  cwd?: string;
}

const MIB = 1024 * 1024;
const PROVIDER_TYPES = ['openai', 'echo', 'lmarena'] as const;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function envPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65535) {
    throw new ConfigError('environment', name, `expected a port number from 0 to 65535, found ${JSON.stringify(raw)}`);
  }
  return port;
}

function envString(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]']);
const DEFAULT_ALLOWED_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** A host name as browsers put it in Host: lower case, IPv6 literals in brackets. */
function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/** `http(s)://host[:port]` without a path, as an origin; '' stays ''. */
function readPublicUrl(raw: string, source: { file: string; key: string }): string {
  if (raw === '') return '';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(source.file, source.key, `expected an http(s) URL such as "https://dash.example.com", found ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(source.file, source.key, `expected an http(s) URL, found ${JSON.stringify(raw)}`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(source.file, source.key, 'expected only scheme, host and port (the dashboard is served at the root)');
  }
  return url.origin;
}

/**
 * The host names the dashboard answers to: the list given (file or DASHBOARD_ALLOWED_HOSTS,
 * comma-separated) or loopback plus dashboard.host; the public_url's host always.
 */
function readAllowedHosts(given: string[] | null, bindHost: string, publicUrl: string, source: { file: string; key: string }): string[] {
  const hosts = given ?? [...DEFAULT_ALLOWED_HOSTS, ...(WILDCARD_BINDS.has(bindHost.trim()) ? [] : [bindHost])];
  if (publicUrl) hosts.push(new URL(publicUrl).hostname);
  const names = hosts.map((h) => {
    const name = hostName(h);
    if (name !== '*' && !/^[a-z0-9._-]+$/.test(name) && !/^\[[0-9a-f:.]+\]$/.test(name)) {
      throw new ConfigError(source.file, source.key, `expected host names without scheme or port (or "*"), found ${JSON.stringify(h)}`);
    }
    return name;
  });
  return [...new Set(names)];
}

/** `sqlite:<path>` (relative to the config folder) or `postgres://…`. */
export function parseDatabaseUrl(url: string, baseDir: string, source: { file: string; key: string }): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError(source.file, source.key, 'expected "sqlite:<file path>", the path is empty');
    return { type: 'sqlite', path: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError(source.file, source.key, 'is not a valid postgres:// URL');
    }
    return { type: 'postgres', url };
  }
  throw new ConfigError(
    source.file,
    source.key,
    `expected "sqlite:<path>" or "postgres://user@host:5432/db", found ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@'))}`,
  );
}

function readProviders(root: ObjectReader): Record<string, ProviderConfig> {
  const section = root.section('providers', null);
  const providers: Record<string, ProviderConfig> = {};
  for (const name of section.keys()) {
    const entry = section.section(name, null);
    const type = entry.oneOf('type', PROVIDER_TYPES);
    if (type === 'openai') {
      const known = ['type', 'base_url', 'api_key_env', 'timeout_ms', 'responses'];
      const reader = section.section(name, known);
      const baseUrl = reader.string('base_url', '', { nonEmpty: true });
      if (baseUrl === '') reader.fail('base_url', 'is required for an "openai" provider (for example "https://api.openai.com/v1")');
      try {
        const parsed = new URL(baseUrl);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
      } catch {
        reader.fail('base_url', `expected an http(s) URL, found ${JSON.stringify(baseUrl)}`);
      }
      providers[name] = {
        type,
        base_url: baseUrl.replace(/\/+$/, ''),
        api_key_env: reader.string('api_key_env', ''),
        timeout_ms: reader.int('timeout_ms', 600_000, 1, 3_600_000),
        responses: reader.bool('responses', false),
      };
    } else {
      section.section(name, ['type']);
      providers[name] = { type };
    }
  }
  if (!providers['echo']) providers['echo'] = { type: 'echo' };
  if (!providers[LMARENA_PROVIDER]) providers[LMARENA_PROVIDER] = { type: 'lmarena' };
  return providers;
}

/** The LMArena site's origins (lmarena.ai answers with a redirect to arena.ai). */
export const DEFAULT_BRIDGE_ORIGINS = ['https://arena.ai', 'https://lmarena.ai'] as const;

/** An origin as browsers send it: scheme://host[:port], no path, no trailing slash. */
function checkOrigin(origin: string): string | null {
  return /^https?:\/\/[^/\s]+$/.test(origin) ? null : `expected an origin such as "https://arena.ai", found ${JSON.stringify(origin)}`;
}

/** Reads models.json: public name -> `{provider, model?}` or a string (an LMArena model id). */
export function readModels(file: string, providers: Record<string, ProviderConfig>): ModelRoute[] {
  const root = ObjectReader.root(file, readJsoncFile(file), null);
  const models: ModelRoute[] = [];
  for (const name of root.keys()) {
    if (name.trim() === '') root.fail(name, 'a model name cannot be empty');
    const value = root.raw(name);
    if (typeof value === 'string') {
      if (value.trim() === '') root.fail(name, 'expected an LMArena model id, found an empty string');
      // The original format: "<uuid>" or "<uuid>:image" (a model whose output is images).
      const image = /^(.+):image$/.exec(value);
      if (image) models.push({ name, provider: LMARENA_PROVIDER, type: 'lmarena', upstream_model: image[1], modality: 'image', price: null });
      else models.push({ name, provider: LMARENA_PROVIDER, type: 'lmarena', upstream_model: value, price: null });
      continue;
    }
    if (!isPlainObject(value)) root.fail(name, 'expected {"provider": "<providers key>", "model": "<upstream id>"} or an LMArena model id string');
    const entry = root.section(name, ['provider', 'model', 'price']);
    const provider = entry.string('provider', '', { nonEmpty: true });
    if (provider === '') entry.fail('provider', 'is required');
    const config = providers[provider];
    if (!config) {
      entry.fail('provider', `unknown provider ${JSON.stringify(provider)}; the providers in config.jsonc are: ${Object.keys(providers).join(', ')}`);
    }
    models.push({ name, provider, type: config.type, upstream_model: entry.string('model', name, { nonEmpty: true }), price: readPrice(entry) });
  }
  return models;
}

/** `proxy.trusted_proxies`, or the comma-separated PROXY_TRUSTED_PROXIES (containers). */
function readTrustedProxies(env: NodeJS.ProcessEnv, proxy: ObjectReader): string[] {
  const fromEnv = env['PROXY_TRUSTED_PROXIES'];
  if (fromEnv === undefined || fromEnv.trim() === '') return proxy.stringList('trusted_proxies', [], checkIpRange);
  const ranges = fromEnv
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  for (const range of ranges) {
    const problem = checkIpRange(range);
    if (problem) throw new ConfigError('environment', 'PROXY_TRUSTED_PROXIES', problem);
  }
  return ranges;
}

/** An IPv4/IPv6 address or CIDR range (the proxy's IP rules parse and normalise them). */
function checkIpRange(item: string): string | null {
  const [address, prefix, ...rest] = item.trim().split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  if (family === 0 || rest.length > 0) return `expected an IP address or CIDR range, found ${JSON.stringify(item)}`;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))
    return `expected a prefix length from 0 to ${bits} in ${JSON.stringify(item)}`;
  return null;
}

/**
 * Highest accepted price, USD per million tokens ($1 a token). Far above any real model, and
 * low enough that a day's cost of one token and model stays well inside the rollup's 64-bit
 * integer of nano-dollars.
 */
export const MAX_PRICE_PER_MTOK = 1_000_000;

/** `"price": {"input_per_mtok": 0.15, "output_per_mtok": 0.6}`; absent: null. Both keys are required. */
function readPrice(entry: ObjectReader): ModelRoute['price'] {
  if (entry.raw('price') === undefined) return null;
  const price = entry.section('price', ['input_per_mtok', 'output_per_mtok']);
  const perMtok = (key: string): number => {
    if (price.raw(key) === undefined) price.fail(key, `is required (USD per million tokens, a number from 0 to ${MAX_PRICE_PER_MTOK})`);
    return price.number(key, 0, 0, MAX_PRICE_PER_MTOK);
  };
  return { inputPerMtok: perMtok('input_per_mtok'), outputPerMtok: perMtok('output_per_mtok') };
}

/**
 * Loads config.jsonc and models.json, applies defaults and environment overrides, and
 * validates everything once. The result is deeply frozen. Throws ConfigError.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configPath = resolve(cwd, envString(env, 'LMB_CONFIG', 'config.jsonc'));
  const baseDir = dirname(configPath);

  const root = ObjectReader.root(configPath, readJsoncFile(configPath), [
    'use_dashboard_tokens',
    'api_key',
    'proxy',
    'dashboard',
    'database',
    'redis',
    'usage',
    'limits',
    'bridge',
    'providers',
    'models_file',
    'metrics',
    'webhooks',
    'email',
  ]);
  const proxy = root.section('proxy', ['host', 'port', 'max_body_mb', 'max_inflight_body_mb', 'trusted_proxies']);
  const limits = root.section('limits', ['default_max_tokens', 'lease_ttl_seconds']);
  const dashboard = root.section('dashboard', [
    'host',
    'port',
    'allow_registration',
    'session_ttl_hours',
    'secure_cookies',
    'login_attempts_per_minute',
    'auth_requests_per_minute',
    'public_url',
    'allowed_hosts',
    'trust_proxy_hops',
  ]);
  const database = root.section('database', ['url', 'query_timeout_ms']);
  const redis = root.section('redis', ['url', 'key_prefix']);
  const usage = root.section('usage', ['retention_days', 'batch_size', 'flush_interval_ms', 'max_queue', 'spool_dir']);
  const bridge = root.section('bridge', ['secret', 'allowed_origins', 'timeout_seconds', 'max_in_flight_per_browser', 'public_url']);
  const metrics = root.section('metrics', ['token']);
  const webhooks = root.section('webhooks', ['secret_key', 'allow_private']);
  const email = root.section('email', ['smtp_url', 'from']);
  const smtpUrl = envString(env, 'SMTP_URL', email.string('smtp_url', ''));
  if (smtpUrl !== '' && !/^smtps?:\/\//.test(smtpUrl)) {
    if (env['SMTP_URL']) throw new ConfigError('environment', 'SMTP_URL', 'expected an smtp:// or smtps:// URL or an empty string');
    email.fail('smtp_url', 'expected an smtp:// or smtps:// URL or an empty string');
  }
  const webhookKey = envString(env, 'WEBHOOK_SECRET_KEY', webhooks.string('secret_key', ''));
  if (webhookKey !== '' && webhookKey.length < 32) {
    if (env['WEBHOOK_SECRET_KEY']) throw new ConfigError('environment', 'WEBHOOK_SECRET_KEY', 'expected at least 32 characters or an empty string');
    webhooks.fail('secret_key', 'expected at least 32 characters or an empty string');
  }
  const bridgePublicUrl = bridge.string('public_url', '');
  if (bridgePublicUrl !== '' && !/^wss?:\/\/[^/]+/.test(bridgePublicUrl)) {
    bridge.fail('public_url', `expected a ws:// or wss:// URL or an empty string, found ${JSON.stringify(bridgePublicUrl)}`);
  }

  const fileDbUrl = database.string('url', 'sqlite:dashboard.db', { nonEmpty: true });
  const dbUrl = envString(env, 'DATABASE_URL', fileDbUrl);
  const dbSource = env['DATABASE_URL'] ? { file: 'environment', key: 'DATABASE_URL' } : { file: configPath, key: 'database.url' };
  const databaseConfig: DatabaseConfig = {
    url: dbUrl,
    target: parseDatabaseUrl(dbUrl, baseDir, dbSource),
    query_timeout_ms: database.int('query_timeout_ms', 10_000, 100, 3_600_000),
  };

  const redisUrl = envString(env, 'REDIS_URL', redis.string('url', ''));
  if (redisUrl !== '' && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(
      env['REDIS_URL'] ? 'environment' : configPath,
      env['REDIS_URL'] ? 'REDIS_URL' : 'redis.url',
      'expected a redis:// URL or an empty string',
    );
  }

  const dashboardHost = envString(env, 'DASHBOARD_HOST', dashboard.string('host', '127.0.0.1', { nonEmpty: true }));
  const publicUrlSource = env['DASHBOARD_PUBLIC_URL']
    ? { file: 'environment', key: 'DASHBOARD_PUBLIC_URL' }
    : { file: configPath, key: 'dashboard.public_url' };
  const publicUrl = readPublicUrl(envString(env, 'DASHBOARD_PUBLIC_URL', dashboard.string('public_url', '')), publicUrlSource);
  const envHosts = env['DASHBOARD_ALLOWED_HOSTS'];
  const allowedHosts = envHosts
    ? readAllowedHosts(
        envHosts
          .split(',')
          .map((h) => h.trim())
          .filter((h) => h !== ''),
        dashboardHost,
        publicUrl,
        { file: 'environment', key: 'DASHBOARD_ALLOWED_HOSTS' },
      )
    : readAllowedHosts(dashboard.raw('allowed_hosts') === undefined ? null : dashboard.strings('allowed_hosts', []), dashboardHost, publicUrl, {
        file: configPath,
        key: 'dashboard.allowed_hosts',
      });

  const providers = readProviders(root);
  const modelsPath = resolve(baseDir, envString(env, 'LMB_MODELS', root.string('models_file', 'models.json', { nonEmpty: true })));

  const config: AppConfig = {
    config_path: configPath,
    models_path: modelsPath,
    use_dashboard_tokens: root.bool('use_dashboard_tokens', true),
    api_key: root.string('api_key', ''),
    proxy: {
      host: envString(env, 'PROXY_HOST', proxy.string('host', '127.0.0.1', { nonEmpty: true })),
      port: envPort(env, 'PROXY_PORT', proxy.int('port', 5102, 0, 65535)),
      max_body_bytes: proxy.int('max_body_mb', 20, 1, 1024) * MIB,
      max_inflight_body_bytes: proxy.int('max_inflight_body_mb', 256, 1, 65536) * MIB,
      trusted_proxies: readTrustedProxies(env, proxy),
    },
    dashboard: {
      host: dashboardHost,
      port: envPort(env, 'DASHBOARD_PORT', dashboard.int('port', 5105, 0, 65535)),
      allow_registration: dashboard.bool('allow_registration', true),
      session_ttl_hours: dashboard.int('session_ttl_hours', 168, 1, 24 * 366),
      secure_cookies: dashboard.bool('secure_cookies', publicUrl.startsWith('https:')),
      login_attempts_per_minute: dashboard.int('login_attempts_per_minute', 10, 1, 100_000),
      auth_requests_per_minute: dashboard.int('auth_requests_per_minute', 60, 1, 1_000_000),
      public_url: publicUrl,
      allowed_hosts: allowedHosts,
      trust_proxy_hops: dashboard.int('trust_proxy_hops', 0, 0, 10),
    },
    database: databaseConfig,
    redis: { url: redisUrl, key_prefix: envString(env, 'REDIS_KEY_PREFIX', redis.string('key_prefix', 'lmb:', { nonEmpty: true })) },
    usage: {
      retention_days: usage.int('retention_days', 90, 1, 36_500),
      batch_size: usage.int('batch_size', 500, 1, 10_000),
      flush_interval_ms: usage.int('flush_interval_ms', 250, 10, 60_000),
      max_queue: usage.int('max_queue', 50_000, 100, 10_000_000),
      // Beside the config file, like models_file, unless absolute.
      spool_dir: resolve(baseDir, usage.string('spool_dir', 'usage-spool', { nonEmpty: true })),
    },
    limits: {
      default_max_tokens: limits.int('default_max_tokens', 1024, 0, 10_000_000),
      lease_ttl_seconds: limits.int('lease_ttl_seconds', 900, 10, 86_400),
    },
    bridge: {
      secret: envString(env, 'BRIDGE_SECRET', bridge.string('secret', '')),
      allowed_origins: bridge.stringList('allowed_origins', DEFAULT_BRIDGE_ORIGINS, checkOrigin),
      timeout_seconds: bridge.number('timeout_seconds', 360, 0.1, 86_400),
      max_in_flight_per_browser: bridge.int('max_in_flight_per_browser', 4, 1, 1000),
      public_url: bridgePublicUrl,
    },
    metrics: { token: envString(env, 'METRICS_TOKEN', metrics.string('token', '')) },
    webhooks: { secret_key: webhookKey, allow_private: webhooks.bool('allow_private', false) },
    email: { smtp_url: smtpUrl, from: email.string('from', 'LMArena Bridge <lmarena-bridge@localhost>', { nonEmpty: true }) },
    providers,
    models: readModels(modelsPath, providers),
  };
  return deepFreeze(config);
}
