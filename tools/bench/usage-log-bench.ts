/**
 * `TS_NODE_PROJECT=tools/bench/tsconfig.json ts-node --transpile-only -r tsconfig-paths/register tools/bench/usage-log-bench.ts
 *    [--rows N] [--database-url URL] [--before path/to/old-service] [--rate-only]`
 *
 * Times the request log's first pages (GET /api/usage/logs, in process) per filter, filter
 * combination and text search at N rows (default 1.5 M) over 365 days, 100 tokens of 10 owners,
 * 20 models, ~7 % errors, written through the real UsageWriter. With --before, the schema
 * stops before UsageLogSearch1764500000007 and the given (older) UsageLogService is timed
 * first; then the migration runs (timed) and the current service is timed. The writer's
 * insert rate (100k rows appended in the proxy's batches of 500) is measured before and after
 * the migration's indexes; --rate-only measures only that. CASES=regex picks cases.
 */
import { authEntities } from '@lmarena-bridge/auth';
import { parseDatabaseUrl } from '@lmarena-bridge/config';
import { createDataSource, migrations, runMigrations } from '@lmarena-bridge/database';
import { tempSqliteDatabase } from '@lmarena-bridge/database/testing';
import { createUsageWriter, DAY_MS, usageEntities } from '@lmarena-bridge/usage';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { seededRandom } from '../../libs/usage/src/testing/analytics-fixtures';
import type { SpooledRow } from '../../libs/usage/src/lib/recorder/usage-spool';
import { ERROR_MESSAGES, STATUSES, weighted } from '../seed/seed-usage';

type Scope = { userId: number } | 'all';
interface LogService {
  page(query: Record<string, unknown>, scope: Scope, now?: number): Promise<{ logs: unknown[] }>;
}

const NOW = Date.UTC(2026, 11, 1);
const DAYS = 365;
const MODELS = Array.from({ length: 20 }, (_, i) => ['gpt-4o', 'claude-3-5-sonnet', 'gemini-1.5-pro', 'llama-3.1-70b'][i] ?? `model-${i + 1}`);
const ENDPOINTS: Array<[string, number]> = [
  ['/v1/chat/completions', 0.85],
  ['/v1/messages', 0.1],
  ['/v1/embeddings', 0.0499],
  ['/v1/completions', 0.0001],
];

async function fill(ds: DataSource, rows: number): Promise<{ users: number[]; tokens: number[] }> {
  const p = (i: number) => (ds.options.type === 'postgres' ? `$${i}` : '?');
  const users: number[] = [];
  for (let u = 0; u < 10; u++) {
    await ds.query(`INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES (${p(1)}, ${p(2)}, 'x', 0, 0)`, [`u${u}`, `u${u}@x`]);
    users.push(Number((await ds.query(`SELECT id FROM users WHERE username = ${p(1)}`, [`u${u}`]))[0].id));
  }
  const tokens: number[] = [];
  const owner = new Map<number, number>();
  for (let i = 0; i < 100; i++) {
    await ds.query(`INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, 'x', 0)`, [
      users[i % 10],
      `seed token ${i + 1}`,
      `h${i}`,
    ]);
    const id = Number((await ds.query(`SELECT id FROM api_tokens WHERE token_hash = ${p(1)}`, [`h${i}`]))[0].id);
    tokens.push(id);
    owner.set(id, users[i % 10]);
  }
  await writeRows(ds, rows, tokens, owner, 1, 0);
  return { users, tokens };
}

async function existing(ds: DataSource): Promise<{ users: number[]; tokens: number[] }> {
  const users = (await ds.query('SELECT id FROM users ORDER BY id')).map((r: { id: unknown }) => Number(r.id));
  const tokens = (await ds.query('SELECT id FROM api_tokens ORDER BY id')).map((r: { id: unknown }) => Number(r.id));
  return { users, tokens };
}

/** Writes `rows` rows through the UsageWriter in batches of 5000; answers rows per second. */
async function writeRows(
  ds: DataSource,
  rows: number,
  tokens: number[],
  owner: Map<number, number>,
  seed: number,
  uidBase: number,
  /** Rows from NOW on, one per ms, in batches of 500: the proxy's appends (default: the year, in 5000s). */
  append = false,
): Promise<number> {
  const random = seededRandom(seed);
  const pickToken = weighted(
    random,
    tokens.map((id, i) => [id, 1 / (i + 1)] as const),
  );
  const pickModel = weighted(
    random,
    MODELS.map((m, i) => [m, 1 / (i + 1)] as const),
  );
  const pickStatus = weighted(random, STATUSES);
  const pickEndpoint = weighted(random, ENDPOINTS);
  const writer = createUsageWriter(ds);
  const start = NOW - DAYS * DAY_MS;
  let batch: SpooledRow[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows; i++) {
    const statusCode = pickStatus();
    const tokenId = pickToken();
    const message = ERROR_MESSAGES[statusCode];
    batch.push({
      uid: `r${uidBase + i}`,
      createdAt: append ? NOW + uidBase / 1000 + i : Math.min(NOW, start + Math.floor(((i + random()) * DAYS * DAY_MS) / rows)),
      userId: owner.get(tokenId) ?? null,
      tokenId,
      model: pickModel(),
      endpoint: pickEndpoint(),
      stream: random() < 0.6,
      statusCode,
      responseTimeMs: Math.round(1 + random() * 3000),
      ttftMs: null,
      promptTokens: statusCode === 200 ? Math.round(random() * 1000) : null,
      completionTokens: statusCode === 200 ? Math.round(random() * 500) : null,
      // A third of the messages carry a request id, so the texts are not a handful of strings.
      errorMessage: message === undefined ? null : random() < 0.33 ? `${message} (request ${Math.floor(random() * 1e9).toString(36)})` : message,
      usageEstimated: false,
      costUsd: null,
    } as SpooledRow);
    if (batch.length === (append ? 500 : 5000)) {
      await writer.write(batch);
      batch = [];
    }
  }
  if (batch.length) await writer.write(batch);
  return rows / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function time(service: LogService, query: Record<string, unknown>, scope: Scope): Promise<{ p50: number; p95: number; n: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  const budget = Date.now() + 4000;
  for (let i = 0; i < 20 && (i < 3 || Date.now() < budget); i++) {
    const t = process.hrtime.bigint();
    rows = (await service.page({ limit: 100, ...query }, scope, NOW)).logs.length;
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { p50: at(0.5), p95: at(0.95), n: times.length, rows };
}

function cases(tokens: number[]): Array<[string, Record<string, unknown>]> {
  const list: Array<[string, Record<string, unknown>]> = [
    ['no filter', {}],
    ['model popular', { model: 'gpt-4o' }],
    ['model rare', { model: 'model-20' }],
    ['model absent', { model: 'no-such-model' }],
    ['token popular', { tokenId: tokens[0] }],
    ['token rare', { tokenId: tokens[99] }],
    ['token absent', { tokenId: 999_999 }],
    ['status success', { status: 'success' }],
    ['status error', { status: 'error' }],
    ['status 504', { status: 504 }],
    ['status 201 (absent)', { status: 201 }],
    ['endpoint /v1/messages', { endpoint: '/v1/messages' }],
    ['endpoint rare', { endpoint: '/v1/completions' }],
    ['endpoint absent', { endpoint: '/v1/responses' }],
    ['model + error', { model: 'gpt-4o', status: 'error' }],
    ['model rare + 504', { model: 'model-20', status: 504 }],
    ['token + model', { tokenId: tokens[0], model: 'claude-3-5-sonnet' }],
    ['token rare + model rare', { tokenId: tokens[99], model: 'model-20' }],
    ['token + model absent', { tokenId: tokens[0], model: 'no-such-model' }],
    ['endpoint rare + error', { endpoint: '/v1/completions', status: 'error' }],
    ['token + error', { tokenId: tokens[5], status: 'error' }],
    ['token + 504', { tokenId: tokens[0], status: 504 }],
    ['token + 201 (absent)', { tokenId: tokens[0], status: 201 }],
    ['model + 201 (absent)', { model: 'gpt-4o', status: 201 }],
    ['model + 504', { model: 'gpt-4o', status: 504 }],
    ['model + endpoint rare', { model: 'gpt-4o', endpoint: '/v1/completions' }],
    ['token + endpoint rare', { tokenId: tokens[0], endpoint: '/v1/completions' }],
    ['endpoint + model rare + error', { endpoint: '/v1/chat/completions', model: 'model-20', status: 'error' }],
    ['q model (claude)', { q: 'claude' }],
    ['q token name (token 7)', { q: 'token 7' }],
    ['q message, many (RESET)', { q: 'RESET' }],
    ['q message, few (request id)', { q: 'request abc' }],
    ['q absent', { q: 'zzqqxx' }],
    ['q short (ab)', { q: 'ab' }],
    ['q + model', { q: 'retry', model: 'gpt-4o' }],
    ['q + error', { q: 'gpt', status: 'error' }],
    ['q + token', { q: 'connection', tokenId: tokens[0] }],
    ['q + model absent combo', { q: 'zzqqxx', model: 'gpt-4o' }],
  ];
  return list;
}

async function report(label: string, service: LogService, users: number[], tokens: number[]): Promise<void> {
  console.log(`\n## ${label}`);
  console.log('case | scope | p50 ms | p95 ms | runs | rows');
  const only = process.env['CASES'] ? new RegExp(process.env['CASES']) : null;
  for (const [name, query] of cases(tokens).filter(([n]) => !only || only.test(n))) {
    for (const [scopeName, scope] of [
      ['all', 'all'],
      ['user', { userId: users[0] }],
    ] as Array<[string, Scope]>) {
      const r = await time(service, query, scope);
      console.log(`${name} | ${scopeName} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.n} | ${r.rows}`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: 'string' }, 'database-url': { type: 'string' }, before: { type: 'string' }, 'rate-only': { type: 'boolean' } },
  });
  const rows = Number(values.rows ?? 1_500_000);
  const temp = values['database-url'] ? null : tempSqliteDatabase();
  const target = temp ? temp.target : parseDatabaseUrl(values['database-url'] ?? '', process.cwd(), { file: 'command line', key: '--database-url' });
  const mine = migrations.findIndex((m) => m.name === 'UsageLogSearch1764500000007');
  const ds = createDataSource(target, [...authEntities, ...usageEntities]);
  ds.setOptions({ migrations: values.before || values['rate-only'] ? migrations.slice(0, mine) : migrations });
  await ds.initialize();
  await runMigrations(ds);
  let t = Date.now();
  // A database filled by an earlier run (--database-url) is timed again as it is.
  const filled = Number((await ds.query('SELECT COUNT(*) AS n FROM usage_logs'))[0].n) > 0;
  const { users, tokens } = filled ? await existing(ds) : await fill(ds, rows);
  if (!filled)
    console.log(
      `filled ${rows} rows in ${((Date.now() - t) / 1000).toFixed(1)} s (${values.before || values['rate-only'] ? 'without' : 'with'} the new indexes)`,
    );
  const owner = new Map(tokens.map((id, i) => [id, users[i % 10]]));
  const rate = async (label: string, seed: number) =>
    console.log(
      `writer ${label}: ${Math.round(await writeRows(ds, 100_000, tokens, owner, seed, 100_000_000 * seed, true))} rows/s (100k new rows appended, batches of 500)`,
    );
  if (values['rate-only']) {
    await rate('before the migration', 2);
    ds.setOptions({ migrations });
    await ds.destroy();
    await ds.initialize();
    t = Date.now();
    await runMigrations(ds);
    console.log(`migration UsageLogSearch1764500000007 took ${((Date.now() - t) / 1000).toFixed(1)} s`);
    await rate('after the migration', 3);
    await ds.destroy();
    await temp?.drop();
    return;
  }
  if (values.before && !filled) {
    await rate('before the migration', 2);
    const Before = require(values.before).UsageLogService as new (ds: DataSource) => LogService;
    await report('before (old service, old schema)', new Before(ds), users, tokens);
    ds.setOptions({ migrations });
    await ds.destroy();
    await ds.initialize();
    t = Date.now();
    await runMigrations(ds);
    console.log(`\nmigration UsageLogSearch1764500000007 took ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  if (!filled) await rate('after the migration', 3);
  if (ds.options.type === 'postgres') await ds.query('ANALYZE usage_logs');
  const After = require('../../libs/usage/src/lib/analytics/usage-log.service').UsageLogService as new (ds: DataSource) => LogService;
  await report('after', new After(ds), users, tokens);
  await ds.destroy();
  await temp?.drop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
