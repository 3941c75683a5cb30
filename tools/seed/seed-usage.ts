/**
 * `npm run seed:usage -- --rows N --days D --tokens T --models M [--database-url URL] [--seed S]`
 *
 * Fills a database with realistic usage through the real UsageRecorder (so the rollups are
 * exactly what production would have): one new user with T tokens, N requests spread over
 * the last D days up to now, in time order, over M models, with a realistic mix of
 * statuses, streaming, response times and token counts. Deterministic for a given --seed.
 * The database defaults to DATABASE_URL, then to database.url of ./config.jsonc; it is
 * migrated first. Prints the user's credentials so the dashboard can show the data.
 */
import { authEntities, hashPassword, TokensService, UserEntity } from '@lmarena-bridge/auth';
import { AppConfig, loadConfig, parseDatabaseUrl } from '@lmarena-bridge/config';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import { DAY_MS, usageEntities, UsageRecorder, UsageRow } from '@lmarena-bridge/usage';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { seededRandom } from '../../libs/usage/src/testing/analytics-fixtures';

export interface SeedOptions {
  rows: number;
  days: number;
  tokens: number;
  models: number;
  /** PRNG seed: the same options and seed give the same rows (relative to `now`). */
  seed: number;
  /** The last request's time (default: now). */
  now?: number;
}

export interface SeedResult {
  userId: number;
  username: string;
  password: string;
  tokenIds: number[];
  models: string[];
  rows: number;
  seconds: number;
}

const MODEL_NAMES = ['gpt-4o', 'claude-3-5-sonnet', 'gemini-1.5-pro', 'llama-3.1-70b', 'mistral-large', 'deepseek-v3', 'qwen-2.5-72b', 'o1-mini'];

/** Picks by weight: `weights` need not sum to 1. */
function weighted<T>(random: () => number, items: ReadonlyArray<readonly [T, number]>): () => T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  return () => {
    let r = random() * total;
    for (const [item, w] of items) if ((r -= w) < 0) return item;
    return items[items.length - 1][0];
  };
}

/** Statuses as the proxy records them (4xx after authentication, 499 client gone, 5xx upstream). */
const STATUSES: ReadonlyArray<readonly [number, number]> = [
  [200, 930],
  [400, 15],
  [403, 5],
  [404, 5],
  [429, 20],
  [499, 10],
  [500, 5],
  [502, 7],
  [503, 2],
  [504, 1],
];
const ERROR_MESSAGES: Record<number, string> = {
  400: "Invalid request: 'messages' must be a non-empty array",
  403: 'This token may not use the model',
  404: 'The model does not exist',
  429: 'Rate limit reached, retry after 2 s',
  499: 'client closed the connection before the answer ended',
  500: 'upstream answered 500: internal error, "please retry"',
  502: 'upstream reset the connection',
  503: 'no browser connected to the LMArena bridge',
  504: 'upstream did not answer within 600000 ms',
};

export async function seedUsage(dataSource: DataSource, options: SeedOptions, progress: (message: string) => void = () => undefined): Promise<SeedResult> {
  const { rows, days, tokens, models: modelCount, seed } = options;
  const now = options.now ?? Date.now();
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const logNormal = (median: number, sigma: number) => median * Math.exp(sigma * gauss());

  const username = `seed-${Date.now().toString(36)}`;
  const password = randomBytes(12).toString('base64url');
  const users = dataSource.getRepository(UserEntity);
  const created = new Date(now - days * DAY_MS);
  const user = await users.save(
    users.create({
      username,
      email: `${username}@example.com`,
      passwordHash: await hashPassword(password),
      role: 'user',
      disabled: false,
      createdAt: created,
      updatedAt: created,
      lastLoginAt: null,
    }),
  );
  const tokenService = new TokensService(dataSource);
  const tokenIds: number[] = [];
  for (let i = 0; i < tokens; i++) tokenIds.push((await tokenService.create(user.id, { name: `seed token ${i + 1}` }, created)).id);
  const models = Array.from({ length: modelCount }, (_, i) => MODEL_NAMES[i] ?? `model-${i + 1}`);

  // A few tokens and models carry most of the traffic (weights 1, 1/2, 1/3, …).
  const pickToken = weighted(
    random,
    tokenIds.map((id, i) => [id, 1 / (i + 1)] as const),
  );
  const pickModel = weighted(
    random,
    models.map((m, i) => [m, 1 / (i + 1)] as const),
  );
  const pickStatus = weighted(random, STATUSES);

  // The recorder spools every batch before writing it; a throw-away folder, removed after the flush.
  const spoolDir = mkdtempSync(join(tmpdir(), 'lmb-seed-spool-'));
  const config = { usage: { retention_days: 36_500, batch_size: 5000, flush_interval_ms: 1000, max_queue: 50_000, spool_dir: spoolDir } } as AppConfig;
  const recorder = new UsageRecorder(dataSource, config);
  const start = now - days * DAY_MS;
  const span = now - start;
  const started = process.hrtime.bigint();
  let nextReport = 0.1;
  for (let i = 0; i < rows; i++) {
    const statusCode = pickStatus();
    const ok = statusCode === 200;
    const stream = random() < 0.6;
    const responseTimeMs = Math.min(
      600_000,
      Math.max(1, Math.round(statusCode === 504 ? 600_000 : statusCode < 499 && !ok ? logNormal(4, 0.5) : logNormal(ok ? 900 : 2000, 0.9))),
    );
    const promptTokens = ok || statusCode === 499 ? Math.round(logNormal(600, 1)) : null;
    const row: UsageRow = {
      // In time order, as the proxy writes them, a little jitter inside each slot.
      createdAt: Math.min(now, start + Math.floor(((i + random()) * span) / rows)),
      userId: user.id,
      tokenId: pickToken(),
      model: pickModel(),
      endpoint: '/v1/chat/completions',
      stream,
      statusCode,
      responseTimeMs,
      ttftMs: stream && ok ? Math.max(1, Math.round(responseTimeMs * (0.1 + 0.3 * random()))) : null,
      promptTokens,
      completionTokens: ok ? Math.round(logNormal(300, 0.8)) : null,
      errorMessage: ok ? null : (ERROR_MESSAGES[statusCode] ?? `upstream answered ${statusCode}`),
    };
    recorder.record(row);
    if (recorder.pending >= 20_000) await recorder.flush();
    if ((i + 1) / rows >= nextReport) {
      progress(`  ${Math.round(((i + 1) / rows) * 100)}% (${i + 1} rows)`);
      nextReport += 0.1;
    }
  }
  await recorder.flush();
  await recorder.beforeApplicationShutdown();
  rmSync(spoolDir, { recursive: true, force: true });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { userId: user.id, username, password, tokenIds, models, rows, seconds };
}

/** Opens (and migrates) the database named by a URL, `sqlite:<path>` or `postgres://…`. */
export async function openSeedDatabase(url: string): Promise<DataSource> {
  const target = parseDatabaseUrl(url, process.cwd(), { file: 'command line', key: '--database-url' });
  return openDatabase(createDataSource(target, [...authEntities, ...usageEntities]));
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
      'database-url': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const options: SeedOptions = {
    rows: positiveInt('rows', values.rows, 100_000),
    days: positiveInt('days', values.days, 30),
    tokens: positiveInt('tokens', values.tokens, 3),
    models: positiveInt('models', values.models, 3),
    seed: positiveInt('seed', values.seed, 1),
  };
  const url = values['database-url'] ?? (process.env['DATABASE_URL'] || loadConfig().database.url);
  console.log(
    `Seeding ${options.rows} requests over ${options.days} days, ${options.tokens} tokens, ${options.models} models into ${url.replace(/\/\/[^@/]*@/, '//…@')}`,
  );
  const dataSource = await openSeedDatabase(url);
  try {
    const result = await seedUsage(dataSource, options, (m) => console.log(m));
    console.log(`Done: ${result.rows} rows in ${result.seconds.toFixed(1)} s (${Math.round(result.rows / result.seconds)} rows/s).`);
    console.log(`Sign in to the dashboard as ${result.username} / ${result.password} (user id ${result.userId}, tokens ${result.tokenIds.join(', ')}).`);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
