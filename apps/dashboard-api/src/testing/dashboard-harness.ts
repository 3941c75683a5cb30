import type { DashboardConfig } from '@lmarena-bridge/config';
import { loadConfig } from '@lmarena-bridge/config';
import type { CreatedToken, User } from '@lmarena-bridge/contracts';
import type { TestDatabase } from '@lmarena-bridge/database/testing';
import type { Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createDashboardApp } from '../app/create-app';
import { aToken, aUser, TokenInput, UserInput } from './builders';

export type DashboardSettings = Partial<
  Pick<
    DashboardConfig,
    | 'allow_registration'
    | 'session_ttl_hours'
    | 'secure_cookies'
    | 'login_attempts_per_minute'
    | 'auth_requests_per_minute'
    | 'public_url'
    | 'allowed_hosts'
    | 'trust_proxy_hops'
  >
>;

/** Other sections of config.jsonc a suite may set. */
export interface HarnessOptions {
  redis?: { url: string; key_prefix: string };
  webhooks?: { secret_key?: string; allow_private?: boolean };
  email?: { smtp_url?: string; from?: string };
}

/** Limits no ordinary suite reaches; the throttling suite sets its own. */
const UNTHROTTLED: DashboardSettings = { login_attempts_per_minute: 100_000, auth_requests_per_minute: 1_000_000 };

/** supertest's cookie agent. */
export type Agent = ReturnType<typeof request.agent>;

/** A signed-in user: an agent that sends the session cookie on every request. */
export interface Session {
  user: User;
  password: string;
  /** The session cookie's value. */
  sessionId: string;
  agent: Agent;
}

/** The `session` cookie of a Set-Cookie header: its value and attributes (names lower-cased). */
export interface SetSessionCookie {
  value: string;
  attributes: Record<string, string | true>;
}

export function parseSessionCookie(setCookie: string | string[] | undefined): SetSessionCookie | null {
  const headers = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const header = headers.find((h) => h.startsWith('session='));
  if (!header) return null;
  const [pair, ...attrs] = header.split(';').map((part) => part.trim());
  const attributes: Record<string, string | true> = {};
  for (const attr of attrs) {
    const eq = attr.indexOf('=');
    if (eq < 0) attributes[attr.toLowerCase()] = true;
    else attributes[attr.slice(0, eq).toLowerCase()] = attr.slice(eq + 1);
  }
  return { value: decodeURIComponent(pair.slice('session='.length)), attributes };
}

/**
 * One dashboard-api in-process, on its own temp database (SQLite or PostgreSQL) and
 * config.jsonc, listening on an ephemeral 127.0.0.1 port (so the Host header, and with it
 * the same-origin check, is stable). Captures every log line, and remembers every password,
 * token secret and session id that passes through its helpers for the leak checks.
 */
export class DashboardHarness {
  private readonly secrets = new Set<string>();

  private constructor(
    readonly app: NestExpressApplication,
    private readonly db: TestDatabase,
    private readonly configDir: string,
    /** Every line the app logged (pino JSON). */
    readonly logs: string[],
  ) {}

  static async start(database: () => Promise<TestDatabase>, dashboard: DashboardSettings = {}, options: HarnessOptions = {}): Promise<DashboardHarness> {
    const db = await database();
    const configDir = mkdtempSync(join(tmpdir(), 'lmb-dashboard-'));
    const logs: string[] = [];
    let app: NestExpressApplication | undefined;
    try {
      writeFileSync(
        join(configDir, 'config.jsonc'),
        JSON.stringify(
          {
            dashboard: { ...UNTHROTTLED, ...dashboard },
            ...(options.redis ? { redis: options.redis } : {}),
            ...(options.webhooks ? { webhooks: options.webhooks } : {}),
            ...(options.email ? { email: options.email } : {}),
          },
          null,
          2,
        ),
      );
      writeFileSync(join(configDir, 'models.json'), '{"echo":{"provider":"echo"}}');
      const config = loadConfig({ cwd: configDir, env: { DATABASE_URL: db.url } });
      const logStream = new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          logs.push(
            ...String(chunk)
              .split('\n')
              .filter((line) => line !== ''),
          );
          done();
        },
      });
      app = await createDashboardApp(config, { logStream });
      await app.init();
      await app.listen(0, '127.0.0.1');
      return new DashboardHarness(app, db, configDir, logs);
    } catch (err) {
      await app?.close();
      await db.drop();
      rmSync(configDir, { recursive: true, force: true });
      throw err;
    }
  }

  get server(): Server {
    return this.app.getHttpServer() as Server;
  }

  /** The origin a browser on the dashboard would send: http://127.0.0.1:<port>. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  /** A provider of the running app, e.g. TokenVerifier. */
  get<T>(type: Type<T>): T {
    return this.app.get(type);
  }

  /** A request without any cookie. */
  http() {
    return request(this.server);
  }

  /** Remembers values that must never be stored or logged. */
  track(...secrets: string[]): void {
    for (const s of secrets) if (s) this.secrets.add(s);
  }

  /** POST /api/admin/init, expecting 201. */
  async initAdmin(input: UserInput = aUser()): Promise<UserInput & { user: User }> {
    this.track(input.password);
    const res = await this.http().post('/api/admin/init').send(input).expect(201);
    return { ...input, user: (res.body as { user: User }).user };
  }

  /** POST /api/auth/register, expecting 201. */
  async register(input: UserInput = aUser()): Promise<UserInput & { user: User }> {
    this.track(input.password);
    const res = await this.http().post('/api/auth/register').send(input).expect(201);
    return { ...input, user: (res.body as { user: User }).user };
  }

  /** POST /api/auth/login, expecting 200; the session's agent carries the cookie. */
  async login(credentials: Pick<UserInput, 'username' | 'password'>): Promise<Session> {
    this.track(credentials.password);
    const body = { username: credentials.username, password: credentials.password };
    const res = await this.http().post('/api/auth/login').send(body).expect(200);
    const sessionId = parseSessionCookie(res.headers['set-cookie'])?.value;
    if (!sessionId) throw new Error(`login answered no session cookie: ${JSON.stringify(res.headers['set-cookie'])}`);
    this.track(sessionId);
    return {
      user: (res.body as { user: User }).user,
      password: credentials.password,
      sessionId,
      agent: this.agentWith(sessionId),
    };
  }

  /** An agent sending this session cookie, whether or not it is still valid. */
  agentWith(sessionId: string): Agent {
    return request.agent(this.server).set('Cookie', `session=${sessionId}`);
  }

  /** Registers a user and signs them in. */
  async signUp(input: UserInput = aUser()): Promise<Session> {
    await this.register(input);
    return this.login(input);
  }

  /** Creates the first admin and signs them in. */
  async signUpAdmin(input: UserInput = aUser()): Promise<Session> {
    await this.initAdmin(input);
    return this.login(input);
  }

  /** POST /api/tokens as this session, expecting 201. */
  async createToken(session: Session, input: TokenInput = aToken()): Promise<CreatedToken> {
    const res = await session.agent.post('/api/tokens').send(input).expect(201);
    const created = res.body as CreatedToken;
    this.track(created.token);
    return created;
  }

  /**
   * Sets columns (by column name, e.g. expires_at in epoch ms) of one row directly in the
   * database, to reach states the API cannot produce on demand (an expired token, say).
   */
  async updateRow(table: 'users' | 'sessions' | 'api_tokens', id: number, values: Record<string, number | string | boolean | null>): Promise<void> {
    const pg = this.dataSource.options.type === 'postgres';
    const param = (i: number) => (pg ? `$${i + 1}` : '?');
    const columns = Object.keys(values);
    // better-sqlite3 binds no booleans: SQLite stores them as 0/1.
    const params = columns.map((c) => (typeof values[c] === 'boolean' && !pg ? Number(values[c]) : values[c]));
    await this.dataSource.query(`UPDATE "${table}" SET ${columns.map((c, i) => `"${c}" = ${param(i)}`).join(', ')} WHERE "id" = ${param(columns.length)}`, [
      ...params,
      id,
    ]);
  }

  /** Every row of every table, as JSON text. */
  async dumpDatabase(): Promise<string> {
    const ds = this.dataSource;
    const tables: Array<{ name: string }> =
      ds.options.type === 'postgres'
        ? await ds.query(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
        : await ds.query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
    const dump: Record<string, unknown[]> = {};
    for (const { name } of tables) dump[name] = await ds.query(`SELECT * FROM "${name}"`);
    return JSON.stringify(dump);
  }

  /** The tracked secrets that appear in the database or in the logs. */
  async leakedSecrets(): Promise<{ tracked: number; database: string[]; logs: string[] }> {
    const dump = await this.dumpDatabase();
    const logs = this.logs.join('\n');
    const secrets = [...this.secrets];
    return {
      tracked: secrets.length,
      database: secrets.filter((s) => dump.includes(s)),
      logs: secrets.filter((s) => logs.includes(s)),
    };
  }

  async close(): Promise<void> {
    try {
      await this.app.close();
    } finally {
      await this.db.drop();
      rmSync(this.configDir, { recursive: true, force: true });
    }
  }
}
