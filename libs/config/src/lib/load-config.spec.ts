import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { bridgeWebSocketUrl } from './bridge-url';
import { loadConfig } from './load-config';

describe('loadConfig', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lmb-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(config: string, models = '{"echo": {"provider": "echo"}}'): void {
    writeFileSync(join(dir, 'config.jsonc'), config);
    writeFileSync(join(dir, 'models.json'), models);
  }
  const load = (env: NodeJS.ProcessEnv = {}) => loadConfig({ cwd: dir, env });

  function expectError(fn: () => unknown, key: string | null, problem: RegExp): ConfigError {
    let caught: unknown;
    try {
      fn();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.key).toBe(key);
    expect(error.problem).toMatch(problem);
    return error;
  }

  it('applies every default to an empty object', () => {
    write('{}');
    const config = load();
    expect(config.use_dashboard_tokens).toBe(true);
    expect(config.api_key).toBe('');
    expect(config.proxy).toEqual({
      host: '127.0.0.1',
      port: 5102,
      max_body_bytes: 20 * 1024 * 1024,
      max_inflight_body_bytes: 256 * 1024 * 1024,
      trusted_proxies: [],
    });
    expect(config.limits).toEqual({ default_max_tokens: 1024, lease_ttl_seconds: 900 });
    expect(config.dashboard).toEqual({
      host: '127.0.0.1',
      port: 5105,
      allow_registration: true,
      session_ttl_hours: 168,
      secure_cookies: false,
      login_attempts_per_minute: 10,
      auth_requests_per_minute: 60,
      public_url: '',
      allowed_hosts: ['localhost', '127.0.0.1', '[::1]'],
      trust_proxy_hops: 0,
    });
    expect(config.redis).toEqual({ url: '', key_prefix: 'lmb:' });
    expect(config.database.target).toEqual({ type: 'sqlite', path: join(dir, 'dashboard.db') });
    expect(config.database.query_timeout_ms).toBe(10_000);
    expect(config.usage).toEqual({ retention_days: 90, batch_size: 500, flush_interval_ms: 250, max_queue: 50_000, spool_dir: join(dir, 'usage-spool') });
    expect(config.bridge).toEqual({
      secret: '',
      allowed_origins: ['https://arena.ai', 'https://lmarena.ai'],
      timeout_seconds: 360,
      max_in_flight_per_browser: 4,
      public_url: '',
    });
    expect(config.models).toEqual([{ name: 'echo', provider: 'echo', type: 'echo', upstream_model: 'echo', price: null }]);
  });

  it('reads the bridge section, with BRIDGE_SECRET winning over the file', () => {
    write(
      '{"bridge": {"secret": "from-file", "allowed_origins": ["https://arena.ai:8443"], "timeout_seconds": 0.5, "max_in_flight_per_browser": 2, "public_url": "wss://bridge.example/ws"}}',
    );
    expect(load().bridge).toEqual({
      secret: 'from-file',
      allowed_origins: ['https://arena.ai:8443'],
      timeout_seconds: 0.5,
      max_in_flight_per_browser: 2,
      public_url: 'wss://bridge.example/ws',
    });
    expect(load({ BRIDGE_SECRET: 'from-env' }).bridge.secret).toBe('from-env');
  });

  it('refuses bad bridge values, naming the key', () => {
    write('{"bridge": {"allowed_origins": ["https://arena.ai/"]}}');
    expectError(() => load(), 'bridge.allowed_origins[0]', /expected an origin such as "https:\/\/arena.ai"/);
    write('{"bridge": {"allowed_origins": "https://arena.ai"}}');
    expectError(() => load(), 'bridge.allowed_origins', /expected an array of strings/);
    write('{"bridge": {"timeout_seconds": 0}}');
    expectError(() => load(), 'bridge.timeout_seconds', /expected a number from 0.1 to 86400/);
    write('{"bridge": {"public_url": "http://x/ws"}}');
    expectError(() => load(), 'bridge.public_url', /expected a ws:\/\/ or wss:\/\/ URL/);
    write('{"bridge": {"secrets": ""}}');
    expectError(() => load(), 'bridge.secrets', /unknown key/);
  });

  it('derives the userscript URL from the proxy address unless bridge.public_url is set', () => {
    write('{"proxy": {"host": "0.0.0.0", "port": 6000}}');
    expect(bridgeWebSocketUrl(load())).toBe('ws://127.0.0.1:6000/ws');
    write('{"proxy": {"host": "::1"}}');
    expect(bridgeWebSocketUrl(load())).toBe('ws://[::1]:5102/ws');
    write('{"bridge": {"public_url": "wss://bridge.example/ws"}}');
    expect(bridgeWebSocketUrl(load())).toBe('wss://bridge.example/ws');
  });

  describe('dashboard host rules', () => {
    it('allows the configured host next to loopback, but not a wildcard bind address', () => {
      write('{"dashboard": {"host": "Dash.LAN"}}');
      expect(load().dashboard.allowed_hosts).toEqual(['localhost', '127.0.0.1', '[::1]', 'dash.lan']);
      write('{"dashboard": {"host": "0.0.0.0"}}');
      expect(load().dashboard.allowed_hosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
      write('{"dashboard": {"host": "::1"}}');
      expect(load().dashboard.allowed_hosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
    });

    it('adds the public_url host, turns Secure cookies on for https, and keeps an explicit secure_cookies', () => {
      write('{"dashboard": {"public_url": "https://Dash.Example.com/", "allowed_hosts": ["intra"]}}');
      const config = load();
      expect(config.dashboard.public_url).toBe('https://dash.example.com');
      expect(config.dashboard.allowed_hosts).toEqual(['intra', 'dash.example.com']);
      expect(config.dashboard.secure_cookies).toBe(true);
      write('{"dashboard": {"public_url": "http://dash.lan:8080"}}');
      expect(load().dashboard.secure_cookies).toBe(false);
      write('{"dashboard": {"public_url": "https://dash.example.com", "secure_cookies": false}}');
      expect(load().dashboard.secure_cookies).toBe(false);
    });

    it('reads DASHBOARD_PUBLIC_URL and a comma-separated DASHBOARD_ALLOWED_HOSTS', () => {
      write('{"dashboard": {"allowed_hosts": ["from-file"]}}');
      const config = load({ DASHBOARD_PUBLIC_URL: 'https://env.example', DASHBOARD_ALLOWED_HOSTS: 'a.example, B.example,*' });
      expect(config.dashboard.allowed_hosts).toEqual(['a.example', 'b.example', '*', 'env.example']);
      expect(config.dashboard.secure_cookies).toBe(true);
      expectError(() => load({ DASHBOARD_ALLOWED_HOSTS: 'a.example:1' }), 'DASHBOARD_ALLOWED_HOSTS', /without scheme or port/);
      expectError(() => load({ DASHBOARD_PUBLIC_URL: 'nope' }), 'DASHBOARD_PUBLIC_URL', /http\(s\) URL/);
    });
  });

  it('reads metrics.token, with METRICS_TOKEN winning over the file', () => {
    write('{}');
    expect(load().metrics).toEqual({ token: '' });
    write('{"metrics": {"token": "from-file"}}');
    expect(load().metrics.token).toBe('from-file');
    expect(load({ METRICS_TOKEN: 'from-env' }).metrics.token).toBe('from-env');
    write('{"metrics": {"token": 5}}');
    expectError(() => load(), 'metrics.token', /expected a string/);
    write('{"metrics": {"tokens": ""}}');
    expectError(() => load(), 'metrics.tokens', /unknown key/);
  });

  it('reads webhooks and email, with WEBHOOK_SECRET_KEY and SMTP_URL winning over the file', () => {
    write('{}');
    expect(load().webhooks).toEqual({ secret_key: '', allow_private: false });
    expect(load().email).toEqual({ smtp_url: '', from: 'LMArena Bridge <lmarena-bridge@localhost>' });
    const key = 'k'.repeat(32);
    write(`{"webhooks": {"secret_key": "${key}", "allow_private": true}, "email": {"smtp_url": "smtp://127.0.0.1:2525", "from": "x@example.com"}}`);
    expect(load().webhooks).toEqual({ secret_key: key, allow_private: true });
    expect(load({ WEBHOOK_SECRET_KEY: 'e'.repeat(40) }).webhooks.secret_key).toBe('e'.repeat(40));
    expect(load({ SMTP_URL: 'smtps://u:p@mail.example.com:465' }).email).toEqual({ smtp_url: 'smtps://u:p@mail.example.com:465', from: 'x@example.com' });
    write('{"webhooks": {"secret_key": "short"}}');
    expectError(() => load(), 'webhooks.secret_key', /at least 32 characters/);
    write('{}');
    expectError(() => load({ WEBHOOK_SECRET_KEY: 'short' }), 'WEBHOOK_SECRET_KEY', /at least 32 characters/);
    write('{"email": {"smtp_url": "http://mail"}}');
    expectError(() => load(), 'email.smtp_url', /smtp:\/\/ or smtps:\/\//);
    write('{"webhooks": {"allowPrivate": true}}');
    expectError(() => load(), 'webhooks.allowPrivate', /unknown key/);
  });

  it('accepts comments and trailing commas', () => {
    write(
      `{
      // line comment
      "api_key": "k", /* block comment */
      "proxy": { "port": 6000, },
    }`,
      `{ "echo": { "provider": "echo", }, // trailing
    }`,
    );
    const config = load();
    expect(config.api_key).toBe('k');
    expect(config.proxy.port).toBe(6000);
  });

  it('resolves usage.spool_dir against the config folder unless absolute, and reads database.query_timeout_ms', () => {
    write('{"usage": {"spool_dir": "var/spool"}, "database": {"query_timeout_ms": 1500}}');
    expect(load().usage.spool_dir).toBe(join(dir, 'var', 'spool'));
    expect(load().database.query_timeout_ms).toBe(1500);
    const absolute = join(tmpdir(), 'lmb-absolute-spool');
    write(JSON.stringify({ usage: { spool_dir: absolute } }));
    expect(load().usage.spool_dir).toBe(absolute);
  });

  it('returns a deeply frozen object', () => {
    write('{}');
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.proxy)).toBe(true);
    expect(Object.isFrozen(config.models[0])).toBe(true);
  });

  it.each([
    ['{"use_dashboard_tokens": "yes"}', 'use_dashboard_tokens', /true or false/],
    ['{"api_key": 5}', 'api_key', /expected a string/],
    ['{"proxy": []}', 'proxy', /expected an object/],
    ['{"proxy": {"port": "5102"}}', 'proxy.port', /whole number/],
    ['{"proxy": {"port": 70000}}', 'proxy.port', /from 0 to 65535, found 70000/],
    ['{"proxy": {"host": ""}}', 'proxy.host', /non-empty/],
    ['{"proxy": {"max_body_mb": 0}}', 'proxy.max_body_mb', /whole number/],
    ['{"proxy": {"max_inflight_body_mb": 0}}', 'proxy.max_inflight_body_mb', /whole number/],
    ['{"proxy": {"max_inflight_body_mb": 1.5}}', 'proxy.max_inflight_body_mb', /whole number/],
    ['{"proxy": {"trusted_proxies": "10.0.0.1"}}', 'proxy.trusted_proxies', /array of strings/],
    ['{"proxy": {"trusted_proxies": ["10.0.0.0/8", "lb.local"]}}', 'proxy.trusted_proxies[1]', /IP address or CIDR range/],
    ['{"proxy": {"trusted_proxies": ["10.0.0.0/33"]}}', 'proxy.trusted_proxies[0]', /prefix length from 0 to 32/],
    ['{"proxy": {"trusted_proxies": ["::1/129"]}}', 'proxy.trusted_proxies[0]', /prefix length from 0 to 128/],
    ['{"limits": {"default_max_tokens": -1}}', 'limits.default_max_tokens', /whole number/],
    ['{"limits": {"lease_ttl_seconds": 5}}', 'limits.lease_ttl_seconds', /whole number/],
    ['{"limits": {"rpm": 5}}', 'limits.rpm', /unknown key/],
    ['{"dashboard": {"allow_registration": 1}}', 'dashboard.allow_registration', /true or false/],
    ['{"dashboard": {"session_ttl_hours": 1.5}}', 'dashboard.session_ttl_hours', /whole number/],
    ['{"dashboard": {"secure_cookies": null}}', 'dashboard.secure_cookies', /true or false, found null/],
    ['{"database": {"url": "mysql://x"}}', 'database.url', /sqlite:<path>/],
    ['{"database": {"url": 1}}', 'database.url', /expected a string/],
    ['{"redis": {"url": "http://x"}}', 'redis.url', /redis:\/\//],
    ['{"dashboard": {"login_attempts_per_minute": 0}}', 'dashboard.login_attempts_per_minute', /whole number/],
    ['{"dashboard": {"public_url": "ftp://x"}}', 'dashboard.public_url', /http\(s\) URL/],
    ['{"dashboard": {"public_url": "https://x.example/dash"}}', 'dashboard.public_url', /only scheme, host and port/],
    ['{"dashboard": {"allowed_hosts": "localhost"}}', 'dashboard.allowed_hosts', /array of strings/],
    ['{"dashboard": {"allowed_hosts": ["ok", ""]}}', 'dashboard.allowed_hosts[1]', /non-empty string/],
    ['{"dashboard": {"allowed_hosts": ["example.com:8080"]}}', 'dashboard.allowed_hosts', /without scheme or port/],
    ['{"dashboard": {"allowed_hosts": ["https://example.com"]}}', 'dashboard.allowed_hosts', /without scheme or port/],
    ['{"dashboard": {"trust_proxy_hops": 11}}', 'dashboard.trust_proxy_hops', /from 0 to 10/],
    ['{"redis": {"key_prefix": ""}}', 'redis.key_prefix', /non-empty/],
    ['{"usage": {"retention_days": -1}}', 'usage.retention_days', /whole number/],
    ['{"usage": {"spool_dir": ""}}', 'usage.spool_dir', /non-empty/],
    ['{"database": {"query_timeout_ms": 10}}', 'database.query_timeout_ms', /whole number/],
    ['{"providers": {"x": {"type": "nope"}}}', 'providers.x.type', /one of "openai", "echo", "lmarena"/],
    ['{"providers": {"x": {"type": "openai"}}}', 'providers.x.base_url', /required/],
    ['{"providers": {"x": {"type": "openai", "base_url": "ftp://a"}}}', 'providers.x.base_url', /http\(s\) URL/],
    ['{"providers": {"x": {"type": "openai", "base_url": "http://a", "timeout_ms": "1"}}}', 'providers.x.timeout_ms', /whole number/],
    ['{"providers": {"x": {"type": "echo", "extra": 1}}}', 'providers.x.extra', /unknown key/],
    ['{"prxy": {}}', 'prxy', /unknown key; expected one of/],
  ])('rejects %s naming %s', (text, key, problem) => {
    write(text);
    const error = expectError(() => load(), key, problem);
    expect(error.file).toBe(join(dir, 'config.jsonc'));
    expect(error.message).toContain(`"${key}"`);
  });

  it('reads trusted proxies and the limits counting settings', () => {
    write('{"proxy": {"trusted_proxies": ["10.0.0.0/8", "::1", "fd00::/8"]}, "limits": {"default_max_tokens": 256, "lease_ttl_seconds": 60}}');
    const config = load();
    expect(config.proxy.trusted_proxies).toEqual(['10.0.0.0/8', '::1', 'fd00::/8']);
    expect(config.limits).toEqual({ default_max_tokens: 256, lease_ttl_seconds: 60 });
  });

  it('reads PROXY_TRUSTED_PROXIES (comma-separated) over the file, and names it when a range is bad', () => {
    write('{"proxy": {"trusted_proxies": ["10.0.0.0/8"]}}');
    expect(load({ PROXY_TRUSTED_PROXIES: ' 172.16.0.0/12, ::1 ' }).proxy.trusted_proxies).toEqual(['172.16.0.0/12', '::1']);
    expect(load({ PROXY_TRUSTED_PROXIES: '' }).proxy.trusted_proxies).toEqual(['10.0.0.0/8']);
    const error = expectError(() => load({ PROXY_TRUSTED_PROXIES: '10.0.0.0/8,nginx' }), 'PROXY_TRUSTED_PROXIES', /IP address or CIDR range/);
    expect(error.file).toBe('environment');
  });

  it('reports syntax errors with line and column', () => {
    write('{\n  "api_key": "a"\n  "proxy": {}\n}');
    const error = expectError(() => load(), null, /line 3, column 3: CommaExpected/);
    expect(error.message).toContain('config.jsonc');
  });

  it('rejects a top level that is not an object', () => {
    write('[1]');
    expectError(() => load(), null, /JSON object at the top level, found an array/);
  });

  it('names a missing config file', () => {
    const error = expectError(() => load(), null, /file not found/);
    expect(error.file).toBe(join(dir, 'config.jsonc'));
  });

  it('names a missing models file', () => {
    writeFileSync(join(dir, 'config.jsonc'), '{}');
    const error = expectError(() => load(), null, /file not found/);
    expect(error.file).toBe(join(dir, 'models.json'));
  });

  it('rejects a model naming an unknown provider', () => {
    write('{}', '{"gpt": {"provider": "openai"}}');
    const error = expectError(() => load(), 'gpt.provider', /unknown provider "openai"; the providers in config.jsonc are: echo, lmarena/);
    expect(error.file).toBe(join(dir, 'models.json'));
  });

  it.each([
    ['{"m": 5}', 'm', /LMArena model id string/],
    ['{"m": ""}', 'm', /empty string/],
    ['{"m": {"provider": "echo", "model": 3}}', 'm.model', /expected a string/],
    ['{"m": {"model": "x"}}', 'm.provider', /required/],
    ['{"m": {"provider": "echo", "x": 1}}', 'm.x', /unknown key/],
    ['{"m": {"provider": "echo", "price": null}}', 'm.price', /expected an object, found null/],
    ['{"m": {"provider": "echo", "price": 0.5}}', 'm.price', /expected an object/],
    ['{"m": {"provider": "echo", "price": {"input_per_mtok": 1}}}', 'm.price.output_per_mtok', /is required/],
    ['{"m": {"provider": "echo", "price": {"output_per_mtok": 1}}}', 'm.price.input_per_mtok', /is required/],
    [
      '{"m": {"provider": "echo", "price": {"input_per_mtok": -0.01, "output_per_mtok": 1}}}',
      'm.price.input_per_mtok',
      /number from 0 to 1000000, found number -0.01/,
    ],
    [
      '{"m": {"provider": "echo", "price": {"input_per_mtok": 1, "output_per_mtok": "0.6"}}}',
      'm.price.output_per_mtok',
      /number from 0 to 1000000, found the string/,
    ],
    ['{"m": {"provider": "echo", "price": {"input_per_mtok": 1, "output_per_mtok": 1e7}}}', 'm.price.output_per_mtok', /number from 0 to 1000000/],
    ['{"m": {"provider": "echo", "price": {"input_per_mtok": 1, "output_per_mtok": 2, "cached_per_mtok": 1}}}', 'm.price.cached_per_mtok', /unknown key/],
  ])('rejects the model entry %s', (models, key, problem) => {
    write('{}', models);
    const error = expectError(() => load(), key, problem);
    expect(error.file).toBe(join(dir, 'models.json'));
  });

  it("reads a model's price in USD per million tokens; without one the price is null", () => {
    write(
      '{}',
      '{"paid": {"provider": "echo", "price": {"input_per_mtok": 0.15, "output_per_mtok": 0.6}}, "free": {"provider": "echo", "price": {"input_per_mtok": 0, "output_per_mtok": 0}}, "plain": {"provider": "echo"}}',
    );
    const config = load();
    expect(config.models.map((m) => [m.name, m.price])).toEqual([
      ['paid', { inputPerMtok: 0.15, outputPerMtok: 0.6 }],
      ['free', { inputPerMtok: 0, outputPerMtok: 0 }],
      ['plain', null],
    ]);
    expect(Object.isFrozen(config.models[0].price)).toBe(true);
  });

  it('routes string entries to the lmarena bridge and objects to their provider', () => {
    write(
      '{"providers": {"local": {"type": "openai", "base_url": "http://127.0.0.1:11434/v1/", "api_key_env": ""}}}',
      '{"arena-model": "claude-x", "arena-image": "0199-uuid:image", "llama": {"provider": "local", "model": "llama3:8b"}, "echo": {"provider": "echo"}}',
    );
    const config = load();
    expect(config.models).toEqual([
      { name: 'arena-model', provider: 'lmarena', type: 'lmarena', upstream_model: 'claude-x', price: null },
      { name: 'arena-image', provider: 'lmarena', type: 'lmarena', upstream_model: '0199-uuid', modality: 'image', price: null },
      { name: 'llama', provider: 'local', type: 'openai', upstream_model: 'llama3:8b', price: null },
      { name: 'echo', provider: 'echo', type: 'echo', upstream_model: 'echo', price: null },
    ]);
    expect(config.providers['local']).toEqual({
      type: 'openai',
      base_url: 'http://127.0.0.1:11434/v1',
      api_key_env: '',
      timeout_ms: 600000,
      responses: false,
    });
  });

  it('lets environment overrides win over the file', () => {
    write('{"proxy": {"host": "0.0.0.0", "port": 1}, "dashboard": {"port": 2}, "database": {"url": "sqlite:a.db"}}');
    writeFileSync(join(dir, 'other-models.json'), '{"e2": {"provider": "echo"}}');
    const config = load({
      PROXY_HOST: '127.0.0.2',
      PROXY_PORT: '7001',
      DASHBOARD_HOST: '127.0.0.3',
      DASHBOARD_PORT: '7002',
      DATABASE_URL: 'postgres://root@127.0.0.1:5432/test',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: 'lmb-blue:',
      LMB_MODELS: 'other-models.json',
    });
    expect(config.proxy.host).toBe('127.0.0.2');
    expect(config.proxy.port).toBe(7001);
    expect(config.dashboard.host).toBe('127.0.0.3');
    expect(config.dashboard.port).toBe(7002);
    expect(config.database.target).toEqual({ type: 'postgres', url: 'postgres://root@127.0.0.1:5432/test' });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', key_prefix: 'lmb-blue:' });
    expect(config.models.map((m) => m.name)).toEqual(['e2']);
  });

  it('reads the file named by LMB_CONFIG and resolves relative paths against its folder', () => {
    const sub = join(dir, 'etc');
    mkdirSync(sub);
    writeFileSync(join(sub, 'custom.jsonc'), '{"database": {"url": "sqlite:data/x.db"}}');
    writeFileSync(join(sub, 'models.json'), '{}');
    const config = load({ LMB_CONFIG: 'etc/custom.jsonc' });
    expect(config.config_path).toBe(join(sub, 'custom.jsonc'));
    expect(config.database.target).toEqual({ type: 'sqlite', path: join(sub, 'data/x.db') });
  });

  it('rejects a bad port in the environment, naming the variable', () => {
    write('{}');
    const error = expectError(() => load({ PROXY_PORT: 'abc' }), 'PROXY_PORT', /port number/);
    expect(error.file).toBe('environment');
  });

  it('rejects a bad DATABASE_URL naming the variable', () => {
    write('{}');
    expectError(() => load({ DATABASE_URL: 'oracle://x' }), 'DATABASE_URL', /sqlite:<path>/);
  });
});
