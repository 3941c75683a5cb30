/**
 * `npm run bench:usage -- [--rows N] [--days D] [--tokens T] [--models M] [--runs R] [--database-url URL [--existing]] [--indexes-while-seeding]`
 *
 * Every analytics call the dashboard makes, timed through HTTP on the built dashboard-api
 * (build it first: `npx nx build dashboard-api`), at a real team's scale: by default
 * 10,000,000 requests over 365 days from 100 tokens and 20 models (issue 18), with p50/p95
 * over R runs (after 3 untimed ones) and the target beside each figure.
 *
 * Without --database-url it seeds a temp SQLite database, and a temp PostgreSQL database too
 * when TEST_DATABASE_URL is set, each removed afterwards. With --database-url it seeds that
 * database (a new seed user; the rows stay: use a scratch database) and measures it; with
 * --existing as well, it measures the newest seed user of that database as it is, unseeded.
 * Seeding goes through the production usage writer in batches of 5,000, so the rollups are
 * what the proxy would have written. Calls are made as the seed user (an ordinary user: its
 * own rows) and as a bench admin with scope=all.
 */
import { hashPassword, UserEntity } from '@lmarena-bridge/auth';
import { tempPostgresDatabase, tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { startServer, writeTestConfig } from '../../apps/e2e/src/support/servers';
import { finishMigrations, openSeedDatabase, seedUsage, SeedOptions, SeedResult } from '../seed/seed-usage';

const SEARCH_MIGRATION = 'UsageLogSearch1764500000007';
import { DashboardSession, timeDownload, timeGet } from './usage-http';

/** What a measured call must reach: p95 of the whole answer, or (for the export) first byte and throughput. */
interface Call {
  name: string;
  path: string;
  targetMs: number;
}

/** What the calls need to know about the seeded data. */
interface Facts {
  topModel: string;
  token: { id: number; name: string };
}

const MODEL_WITHOUT_ROWS = 'no-such-model';
const EXPORT_TTFB_MS = 100;
const EXPORT_MB_PER_S = 50;

export function calls(facts: Facts): Call[] {
  const model = encodeURIComponent(facts.topModel);
  const summary = [1, 7, 30, 90, 180, 365].map((days) => ({ name: `summary?days=${days}`, path: `/api/usage/summary?days=${days}`, targetMs: 50 }));
  const log = (name: string, query: string, targetMs: number) => ({ name: `logs ${name}`, path: `/api/usage/logs?limit=100${query}`, targetMs });
  const tokenWord = facts.token.name.replace(/^seed /, '');
  return [
    ...summary,
    log('(no filter)', '', 20),
    log(`model=${facts.topModel}`, `&model=${model}`, 20),
    log(`model=${MODEL_WITHOUT_ROWS}`, `&model=${MODEL_WITHOUT_ROWS}`, 20),
    log(`token_id=${facts.token.id}`, `&token_id=${facts.token.id}`, 20),
    log('status=error', '&status=error', 20),
    log('status=429', '&status=429', 20),
    log('endpoint=/v1/embeddings', '&endpoint=%2Fv1%2Fembeddings', 20),
    log(`model=${facts.topModel}&status=error`, `&model=${model}&status=error`, 50),
    log(`token_id=${facts.token.id}&model=${facts.topModel}`, `&token_id=${facts.token.id}&model=${model}`, 50),
    log(`model=${MODEL_WITHOUT_ROWS}&status=error`, `&model=${MODEL_WITHOUT_ROWS}&status=error`, 50),
    log(`q=${facts.topModel.slice(0, 5)} (model)`, `&q=${encodeURIComponent(facts.topModel.slice(0, 5))}`, 100),
    log(`q=${tokenWord} (token name)`, `&q=${encodeURIComponent(tokenWord)}`, 100),
    log('q=timeout', '&q=timeout', 100),
    log('q=too large (rare message)', '&q=too%20large', 100),
  ];
}

const fmt = (n: number, width = 9, digits = 1) => n.toFixed(digits).padStart(width);
const mark = (ok: boolean) => (ok ? '  pass' : '  FAIL');

async function facts(dataSource: DataSource, seed: SeedResult): Promise<Facts> {
  const [top] = await dataSource.query('SELECT model, SUM(requests) AS n FROM usage_daily GROUP BY model ORDER BY SUM(requests) DESC LIMIT 1');
  // A token in the middle of the traffic (the tenth: about a tenth of the top token's rows).
  const id = seed.tokenIds[Math.min(9, seed.tokenIds.length - 1)];
  const [token] = await dataSource.query(`SELECT name FROM api_tokens WHERE id = ${Number(id)}`);
  return { topModel: String(top?.model ?? seed.models[0]), token: { id, name: String(token?.name ?? '') } };
}

/**
 * The newest seed user of a database seeded earlier (--existing), with a fresh password (the
 * seed printed the old one once; a scratch database, so the hash is simply replaced).
 */
async function existingSeed(dataSource: DataSource): Promise<SeedResult> {
  const users = dataSource.getRepository(UserEntity);
  const [user] = await users.createQueryBuilder('u').where('u.username LIKE :p', { p: 'seed-%' }).orderBy('u.id', 'DESC').limit(1).getMany();
  if (!user) throw new Error('--existing: the database has no seed user (seed it first: npm run seed:usage or bench:usage --database-url)');
  const password = randomBytes(12).toString('base64url');
  await users.update({ id: user.id }, { passwordHash: await hashPassword(password) });
  const tokens: Array<{ id: number | string }> = await dataSource.query(`SELECT id FROM api_tokens WHERE user_id = ${Number(user.id)} ORDER BY id`);
  const models: Array<{ model: string }> = await dataSource.query(
    `SELECT DISTINCT model FROM usage_month_model WHERE user_id = ${Number(user.id)} ORDER BY model`,
  );
  const [{ n }] = await dataSource.query(`SELECT COUNT(*) AS n FROM usage_logs WHERE user_id = ${Number(user.id)}`);
  return {
    userId: user.id,
    username: user.username,
    password,
    tokenIds: tokens.map((t) => Number(t.id)),
    models: models.map((m) => m.model),
    rows: Number(n),
    seconds: 0,
  };
}

/** An admin to read scope=all, made as the admin CLI makes one (a users row with role admin). */
async function benchAdmin(dataSource: DataSource): Promise<{ username: string; password: string }> {
  const username = `bench-admin-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const users = dataSource.getRepository(UserEntity);
  const now = new Date();
  await users.save(
    users.create({
      username,
      email: `${username}@example.com`,
      passwordHash: await hashPassword(password),
      role: 'admin',
      disabled: false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    }),
  );
  return { username, password };
}

async function measure(url: string, seed: SeedResult, found: Facts, admin: { username: string; password: string }, runs: number): Promise<number> {
  // Retention far away, so the dashboard's hourly job leaves the seeded year alone; a long
  // query timeout, so a slow call is measured rather than cut off at 10 s.
  const dir = writeTestConfig({ database: { url, query_timeout_ms: 600_000 }, usage: { retention_days: 36_500 } });
  const dashboard = await startServer('dashboard-api', dir.configPath, { LOG_LEVEL: 'warn' }, 120_000);
  let failed = 0;
  try {
    const scopes: Array<[string, DashboardSession, string]> = [
      [`user ${seed.username}`, await DashboardSession.signIn(dashboard.url, seed.username, seed.password), ''],
      ['admin, scope=all', await DashboardSession.signIn(dashboard.url, admin.username, admin.password), '&scope=all'],
    ];
    for (const [who, session, scope] of scopes) {
      console.log(`\n  as ${who} (${runs} runs each after 3 untimed)`);
      console.log(`  ${'call'.padEnd(58)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'target'.padStart(16)}`);
      for (const call of calls(found)) {
        const t = await timeGet(session, `${call.path}${scope}`, runs);
        const ok = t.failures === 0 && t.p95 <= call.targetMs;
        if (!ok) failed += 1;
        const note = t.failures ? `  (${t.failures} failed: ${t.failure})` : '';
        console.log(`  ${call.name.padEnd(58)}${fmt(t.p50)}${fmt(t.p95)}${`≤ ${call.targetMs} p95`.padStart(16)}${mark(ok)}${note}`);
      }
      const exportRuns = Math.max(1, Math.min(runs, 3));
      const d = await timeDownload(session, `/api/usage/export?days=30&format=csv${scope}`, exportRuns);
      const ttfbOk = d.failures === 0 && d.firstByteP95 <= EXPORT_TTFB_MS;
      const rateOk = d.failures === 0 && d.mbPerSecond >= EXPORT_MB_PER_S;
      failed += (ttfbOk ? 0 : 1) + (rateOk ? 0 : 1);
      console.log(
        `  ${`export?days=30&format=csv: first byte (${exportRuns} runs)`.padEnd(58)}${fmt(d.firstByteP50)}${fmt(d.firstByteP95)}${`≤ ${EXPORT_TTFB_MS} p95`.padStart(16)}${mark(ttfbOk)}`,
      );
      console.log(
        `  ${`export?days=30&format=csv: MB/s over ${(d.bytes / 1e6).toFixed(1)} MB`.padEnd(58)}${fmt(d.mbPerSecond)}${''.padStart(9)}${`≥ ${EXPORT_MB_PER_S} MB/s`.padStart(16)}${mark(rateOk)}${d.failures ? `  (${d.failures} failed)` : ''}`,
      );
      await session.close();
    }
  } finally {
    await dashboard.stop();
    dir.cleanup();
  }
  return failed;
}

/** Measures a database seeded earlier, as it is (after any migration it has not run yet). */
async function benchExisting(label: string, url: string, runs: number): Promise<number> {
  const dataSource = await openSeedDatabase(url);
  let seed: SeedResult;
  let found: Facts;
  let admin: { username: string; password: string };
  try {
    seed = await existingSeed(dataSource);
    console.log(`\n${label}: measuring as it is, ${seed.rows.toLocaleString('en')} rows of ${seed.username}`);
    found = await facts(dataSource, seed);
    admin = await benchAdmin(dataSource);
  } finally {
    await dataSource.destroy();
  }
  return measure(url, seed, found, admin, runs);
}

/** Seeds the database, then measures it through a dashboard started on it; resolves with the number of calls off target. */
async function benchDatabase(label: string, url: string, options: Omit<SeedOptions, 'seed'>, runs: number, indexesWhileSeeding: boolean): Promise<number> {
  // The request log's search indexes (UsageLogSearch1764500000007) are built after the seed,
  // as that migration builds them on an existing database: the rows and rollups are the
  // production writer's either way, and 10 M appends through a dozen indexes and the FTS5
  // triggers would take the writer's ~5 k rows/s (--indexes-while-seeding does that).
  const dataSource = await openSeedDatabase(url, indexesWhileSeeding ? undefined : SEARCH_MIGRATION);
  let seed: SeedResult;
  let found: Facts;
  let admin: { username: string; password: string };
  try {
    console.log(
      `\n${label}: seeding ${options.rows.toLocaleString('en')} rows over ${options.days} days, ${options.tokens} tokens, ${options.models} models through the usage writer…`,
    );
    seed = await seedUsage(dataSource, { ...options, seed: 1 }, (m) => console.log(m));
    console.log(`  seeded in ${seed.seconds.toFixed(1)} s: ${Math.round(seed.rows / seed.seconds).toLocaleString('en')} rows/s`);
    if (!indexesWhileSeeding) {
      const started = performance.now();
      await finishMigrations(dataSource);
      console.log(`  ${SEARCH_MIGRATION} (and any later migration) ran in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const [{ n }] = await dataSource.query('SELECT COUNT(*) AS n FROM usage_logs');
    const [{ d }] = await dataSource.query('SELECT COUNT(*) AS d FROM usage_daily');
    const [{ l }] = await dataSource.query('SELECT COUNT(*) AS l FROM usage_day_latency');
    console.log(
      `  ${Number(n).toLocaleString('en')} usage_logs, ${Number(d).toLocaleString('en')} usage_daily, ${Number(l).toLocaleString('en')} usage_day_latency rows`,
    );
    found = await facts(dataSource, seed);
    admin = await benchAdmin(dataSource);
  } finally {
    await dataSource.destroy();
  }
  return measure(url, seed, found, admin, runs);
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`--${name} must be a whole number of at least 1, got ${JSON.stringify(text)}`);
  return Number(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      days: { type: 'string' },
      tokens: { type: 'string' },
      models: { type: 'string' },
      runs: { type: 'string' },
      'database-url': { type: 'string' },
      'indexes-while-seeding': { type: 'boolean' },
      existing: { type: 'boolean' },
    },
  });
  const indexesWhileSeeding = values['indexes-while-seeding'] === true;
  const options = {
    rows: positiveInt('rows', values.rows, 10_000_000),
    days: positiveInt('days', values.days, 365),
    tokens: positiveInt('tokens', values.tokens, 100),
    models: positiveInt('models', values.models, 20),
  };
  const runs = positiveInt('runs', values.runs, 20);
  console.log(`Usage analytics benchmark through HTTP (Node ${process.version})`);

  let failed = 0;
  const url = values['database-url'];
  if (url) {
    const label = url.replace(/\/\/[^@/]*@/, '//…@');
    failed += values.existing ? await benchExisting(label, url, runs) : await benchDatabase(label, url, options, runs, indexesWhileSeeding);
  } else {
    const databases: Array<() => Promise<TestDatabase>> = [async () => tempSqliteDatabase()];
    const pg = process.env['TEST_DATABASE_URL'];
    if (pg) databases.push(() => tempPostgresDatabase(pg));
    else console.log('(PostgreSQL skipped: set TEST_DATABASE_URL to measure it too)');
    for (const create of databases) {
      const db = await create();
      try {
        failed += await benchDatabase(db.name, db.url, options, runs, indexesWhileSeeding);
      } finally {
        await db.drop();
      }
    }
  }
  console.log(failed === 0 ? '\nEvery call within its target.' : `\n${failed} figure(s) off target.`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}
