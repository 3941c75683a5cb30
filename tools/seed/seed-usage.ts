/**
 * `npm run seed:usage -- --rows N --days D --tokens T --models M [--database-url URL] [--seed S]`
 *
 * Fills a database with realistic usage through the production usage writer (the one the
 * recorder hands its batches to, so the rollups are exactly what production would have; the
 * recorder's spool is skipped, it only costs time here): one new user with T tokens, N
 * requests spread over the last D days up to now, in time order, over M models, with a
 * realistic mix of endpoints, statuses, streaming, response times, token counts and costs.
 * Deterministic for a given --seed.
 * The database defaults to DATABASE_URL, then to database.url of ./config.jsonc; it is
 * migrated first. Prints the user's credentials so the dashboard can show the data.
 */
import { authEntities, hashPassword, TokensService, UserEntity } from '@lmarena-bridge/auth';
import { loadConfig, parseDatabaseUrl } from '@lmarena-bridge/config';
import { createDataSource, migrations, openDatabase, runMigrations } from '@lmarena-bridge/database';
import { createUsageWriter, DAY_MS, SpooledRow, storableCostUsd, usageEntities } from '@lmarena-bridge/usage';
import { randomBytes } from 'node:crypto';
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

/** Rows per write, as a busy proxy's recorder hands them to the writer (usage.batch_size 5,000). */
export const SEED_BATCH = 5000;

const MODEL_NAMES = ['gpt-4o', 'claude-3-5-sonnet', 'gemini-1.5-pro', 'llama-3.1-70b', 'mistral-large', 'deepseek-v3', 'qwen-2.5-72b', 'o1-mini'];

/** Picks by weight: `weights` need not sum to 1. */
export function weighted<T>(random: () => number, items: ReadonlyArray<readonly [T, number]>): () => T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  return () => {
    let r = random() * total;
    for (const [item, w] of items) if ((r -= w) < 0) return item;
    return items[items.length - 1][0];
  };
}

/** Statuses as the proxy records them (4xx after authentication, 499 client gone, 5xx upstream). */
export const STATUSES: ReadonlyArray<readonly [number, number]> = [
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
  // Rare: a message a text search finds in about one row in 5,000.
  [413, 0.2],
];
/** Most traffic is chat; a little goes to the other endpoints the proxy serves. */
const ENDPOINTS: ReadonlyArray<readonly [string, number]> = [
  ['/v1/chat/completions', 97],
  ['/v1/embeddings', 2],
  ['/v1/messages', 1],
];
export const ERROR_MESSAGES: Record<number, string> = {
  400: "Invalid request: 'messages' must be a non-empty array",
  403: 'This token may not use the model',
  404: 'The model does not exist',
  429: 'Rate limit reached, retry after 2 s',
  499: 'client closed the connection before the answer ended',
  500: 'upstream answered 500: internal error, "please retry"',
  502: 'upstream reset the connection',
  413: 'request body too large for the upstream (max 10 MiB)',
  503: 'no browser connected to the LMArena bridge',
  504: 'upstream timeout: no answer within 600000 ms',
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
    models.map((_, i) => [i, 1 / (i + 1)] as const),
  );
  const pickStatus = weighted(random, STATUSES);

  const pickEndpoint = weighted(random, ENDPOINTS);
  // USD per million prompt / completion tokens, by model: some priced, the last ones not.
  const prices = models.map((_, i) => (i < Math.ceil(modelCount * 0.75) ? [0.15 * (i + 1), 0.6 * (i + 1)] : null));

  const writer = createUsageWriter(dataSource);
  const uidPrefix = `${username}-`;
  const start = now - days * DAY_MS;
  const span = now - start;
  const started = process.hrtime.bigint();
  let nextReport = 0.1;
  let batch: SpooledRow[] = [];
  for (let i = 0; i < rows; i++) {
    const statusCode = pickStatus();
    const ok = statusCode === 200;
    const endpoint = pickEndpoint();
    const chat = endpoint !== '/v1/embeddings';
    const stream = chat && random() < 0.6;
    const responseTimeMs = Math.min(
      600_000,
      Math.max(1, Math.round(statusCode === 504 ? 600_000 : statusCode < 499 && !ok ? logNormal(4, 0.5) : logNormal(ok ? (chat ? 900 : 80) : 2000, 0.9))),
    );
    const promptTokens = ok || statusCode === 499 ? Math.round(logNormal(600, 1)) : null;
    const completionTokens = ok ? (chat ? Math.round(logNormal(300, 0.8)) : 0) : null;
    const modelIndex = pickModel();
    const price = prices[modelIndex];
    const costUsd =
      price && promptTokens !== null && completionTokens !== null ? storableCostUsd((promptTokens * price[0] + completionTokens * price[1]) / 1e6) : null;
    batch.push({
      // In time order, as the proxy writes them, a little jitter inside each slot.
      createdAt: Math.min(now, start + Math.floor(((i + random()) * span) / rows)),
      userId: user.id,
      tokenId: pickToken(),
      model: models[modelIndex],
      endpoint,
      stream,
      statusCode,
      responseTimeMs,
      ttftMs: stream && ok ? Math.max(1, Math.round(responseTimeMs * (0.1 + 0.3 * random()))) : null,
      promptTokens,
      completionTokens,
      errorMessage: ok ? null : (ERROR_MESSAGES[statusCode] ?? `upstream answered ${statusCode}`),
      usageEstimated: false,
      costUsd,
      refused: false,
      // Zero-padded like the recorder's, so the row_uid index is appended to in order, as in production.
      uid: `${uidPrefix}${i.toString(36).padStart(10, '0')}`,
    });
    if (batch.length === SEED_BATCH) {
      await writer.write(batch);
      batch = [];
    }
    if ((i + 1) / rows >= nextReport) {
      progress(`  ${Math.round(((i + 1) / rows) * 100)}% (${i + 1} rows)`);
      nextReport += 0.1;
    }
  }
  if (batch.length > 0) await writer.write(batch);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { userId: user.id, username, password, tokenIds, models, rows, seconds };
}

/**
 * Opens (and migrates) the database named by a URL, `sqlite:<path>` or `postgres://…`; with
 * `before`, only the migrations older than the one of that name (run the rest with
 * `finishMigrations`).
 */
export async function openSeedDatabase(url: string, before?: string): Promise<DataSource> {
  const target = parseDatabaseUrl(url, process.cwd(), { file: 'command line', key: '--database-url' });
  const dataSource = createDataSource(target, [...authEntities, ...usageEntities]);
  if (before !== undefined) {
    const at = migrations.findIndex((m) => m.name === before);
    if (at < 0) throw new Error(`no migration named ${before}`);
    dataSource.setOptions({ migrations: migrations.slice(0, at) });
  }
  return openDatabase(dataSource);
}

/** Runs every migration a database opened with `openSeedDatabase(url, before)` has not run yet. */
export async function finishMigrations(dataSource: DataSource): Promise<void> {
  dataSource.setOptions({ migrations });
  await dataSource.destroy();
  await dataSource.initialize();
  await runMigrations(dataSource);
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
