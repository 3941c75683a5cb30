/**
 * `npm run bench:retention -- [--rows N] [--writer-batch B] [--writer-gap-ms G] [--delete-cost-us U] [--pacing adaptive|fixed]`
 *
 * Does retention keep the proxy's usage writes flowing? Seeds N (default 1,000,000) rows older
 * than the retention period into a temp SQLite database, and a temp PostgreSQL one when
 * TEST_DATABASE_URL is set, through the production writer; starts a writer process (the
 * proxy: its own connection, batches of B rows with G ms between them, see
 * retention-writer.ts), times its batches alone for a few seconds, then while
 * UsageRetentionService deletes the old rows, and prints the writer's lock wait (SQLite) and
 * batch time (both) for each phase. Target: no batch waits more than 50 ms.
 *
 * The database has every migration, so usage_logs carries the request log's search indexes
 * and, on SQLite, the FTS5 triggers (UsageLogSearch1764500000007). --delete-cost-us adds that much work per deleted
 * row in a trigger; --pacing fixed runs the old fixed 5,000-row batches without pauses.
 */
import { AppConfig } from '@lmarena-bridge/config';
import { sqliteHandle } from '@lmarena-bridge/database';
import { tempPostgresDatabase, tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { DAY_MS, RETENTION_PACING, RetentionPacing, UsageRetentionService } from '@lmarena-bridge/usage';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { openSeedDatabase, seedUsage } from '../seed/seed-usage';
import { quantile } from './usage-http';
import type { WriterOptions, WriterSample } from './retention-writer';

const RETENTION_DAYS = 90;
const BASELINE_MS = 3000;
const WAIT_TARGET_MS = 50;
const FIXED_PACING: RetentionPacing = { firstBatch: 5000, minBatch: 5000, maxBatch: 5000, stepBudgetMs: Infinity, minPauseMs: 0 };

async function addDeleteCost(dataSource: DataSource, micros: number): Promise<void> {
  const sqlite = sqliteHandle(dataSource);
  if (sqlite) {
    sqlite.function('bench_delete_cost', () => {
      const until = performance.now() + micros / 1000;
      while (performance.now() < until);
      return 0;
    });
    sqlite.exec('CREATE TRIGGER bench_delete_cost AFTER DELETE ON usage_logs BEGIN SELECT bench_delete_cost(); END');
  } else {
    // pg_sleep rounds up to whole milliseconds: below 1,000 µs PostgreSQL's cost is 1 ms or more a row.
    await dataSource.query(
      `CREATE FUNCTION bench_delete_cost() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${micros / 1e6}); RETURN OLD; END $$`,
    );
    await dataSource.query('CREATE TRIGGER bench_delete_cost AFTER DELETE ON usage_logs FOR EACH ROW EXECUTE FUNCTION bench_delete_cost()');
  }
}

/** Times every DELETE retention runs (on the query runner it creates). */
function timeDeletes(dataSource: DataSource): Array<{ rows: number; ms: number }> {
  const steps: Array<{ rows: number; ms: number }> = [];
  const createRunner = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (...args) => {
    const runner = createRunner(...args);
    const query = runner.query.bind(runner) as (...a: unknown[]) => Promise<unknown>;
    runner.query = (async (sql: string, ...rest: unknown[]) => {
      const started = performance.now();
      const answer = await query(sql, ...rest);
      if (sql.startsWith('DELETE')) steps.push({ rows: Number((answer as { affected?: number }).affected ?? 0), ms: performance.now() - started });
      return answer;
    }) as typeof runner.query;
    return runner;
  };
  return steps;
}

function startWriter(options: WriterOptions): Promise<{ phase(name: string): void; stop(): Promise<WriterSample[]> }> {
  const child = fork(join(__dirname, 'retention-writer.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, TS_NODE_PROJECT: process.env['TS_NODE_PROJECT'] ?? 'tools/bench/tsconfig.json', RETENTION_WRITER: JSON.stringify(options) },
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the writer process exited (${code})`))));
  return Promise.race([
    exited,
    new Promise<{ phase(name: string): void; stop(): Promise<WriterSample[]> }>((ready) =>
      child.once('message', () =>
        ready({
          phase: (name) => child.send({ phase: name }),
          stop: () =>
            Promise.race([
              exited,
              new Promise<WriterSample[]>((done) => {
                child.once('message', (m: { samples: WriterSample[] }) => done(m.samples));
                child.send({ stop: true });
              }),
            ]),
        }),
      ),
    ),
  ]);
}

const fmt = (n: number) => n.toFixed(1).padStart(9);

function report(label: string, values: number[], target?: number): void {
  if (values.length === 0) return console.log(`  ${label.padEnd(44)}   (no samples)`);
  const max = Math.max(...values);
  const verdict = target === undefined ? '' : max <= target ? `  pass (≤ ${target})` : `  FAIL (> ${target})`;
  console.log(`  ${label.padEnd(44)}${String(values.length).padStart(7)}${fmt(quantile(values, 0.5))}${fmt(quantile(values, 0.99))}${fmt(max)}${verdict}`);
}

async function benchDatabase(
  db: TestDatabase,
  options: { rows: number; batch: number; gapMs: number; deleteCostUs: number; pacing: RetentionPacing },
): Promise<void> {
  const now = Date.now();
  const dataSource = await openSeedDatabase(db.url);
  try {
    console.log(`\n${db.name}: seeding ${options.rows.toLocaleString('en')} rows older than ${RETENTION_DAYS} days…`);
    // A year of old traffic ending 100 days ago: every row is past retention.
    const seed = await seedUsage(dataSource, { rows: options.rows, days: 365, tokens: 10, models: 5, seed: 1, now: now - 100 * DAY_MS });
    console.log(`  seeded in ${seed.seconds.toFixed(1)} s`);
    if (options.deleteCostUs > 0) await addDeleteCost(dataSource, options.deleteCostUs);

    const writer = await startWriter({ url: db.url, userId: seed.userId, tokenId: seed.tokenIds[0], batch: options.batch, gapMs: options.gapMs });
    writer.phase('alone');
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    writer.phase('retention');
    const retention = new UsageRetentionService(dataSource, { usage: { retention_days: RETENTION_DAYS } } as AppConfig);
    retention.pacing = options.pacing;
    const steps = timeDeletes(dataSource);
    const started = performance.now();
    const deleted = await retention.runRetentionOnce(now);
    const seconds = (performance.now() - started) / 1000;
    const samples = await writer.stop();
    console.log(
      `  retention deleted ${deleted.toLocaleString('en')} rows in ${seconds.toFixed(1)} s (${Math.round(deleted / seconds).toLocaleString('en')} rows/s)`,
    );
    report(
      'retention steps (ms each)',
      steps.map((st) => st.ms),
    );
    report(
      'retention steps (rows each)',
      steps.map((st) => st.rows),
    );
    const head = `writer: ${options.batch} rows a batch, ${options.gapMs} ms apart`;
    console.log(`  ${head.padEnd(44)}${'n'.padStart(7)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}`);
    const of = (phase: string, pick: (s: WriterSample) => number | null) =>
      samples.filter((s) => s.phase === phase).flatMap((s) => (pick(s) === null ? [] : [pick(s) as number]));
    const sqlite = db.target.type === 'sqlite';
    if (sqlite) {
      report(
        'lock wait, writer alone',
        of('alone', (s) => s.waitMs),
      );
      report(
        'lock wait, during retention',
        of('retention', (s) => s.waitMs),
        WAIT_TARGET_MS,
      );
    }
    const alone = of('alone', (s) => s.totalMs);
    report('batch time, writer alone', alone);
    const during = of('retention', (s) => s.totalMs);
    report('batch time, during retention', during);
    if (!sqlite && alone.length > 0 && during.length > 0) {
      // No lock to time on PostgreSQL (the deletes and the inserts touch different rows, and
      // row locks are all either takes): what retention costs a batch is how much slower it got.
      const slower = quantile(during, 0.99) - quantile(alone, 0.99);
      const verdict = slower <= WAIT_TARGET_MS ? `pass (≤ ${WAIT_TARGET_MS})` : `FAIL (> ${WAIT_TARGET_MS})`;
      console.log(`  ${'batch p99, during minus alone'.padEnd(44)}${fmt(slower).padStart(34)} ms  ${verdict}`);
    }
  } finally {
    await dataSource.destroy();
  }
}

function positiveInt(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new Error(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      'writer-batch': { type: 'string' },
      'writer-gap-ms': { type: 'string' },
      'delete-cost-us': { type: 'string' },
      pacing: { type: 'string' },
    },
  });
  if (values.pacing !== undefined && values.pacing !== 'adaptive' && values.pacing !== 'fixed') throw new Error('--pacing must be adaptive or fixed');
  const options = {
    rows: positiveInt('rows', values.rows, 1_000_000),
    batch: positiveInt('writer-batch', values['writer-batch'], 500),
    gapMs: positiveInt('writer-gap-ms', values['writer-gap-ms'], 50, 0),
    deleteCostUs: positiveInt('delete-cost-us', values['delete-cost-us'], 0, 0),
    pacing: values.pacing === 'fixed' ? FIXED_PACING : { ...RETENTION_PACING },
  };
  console.log(
    `Retention against a concurrent usage writer (Node ${process.version}; pacing ${values.pacing ?? 'adaptive'}${options.deleteCostUs ? `, +${options.deleteCostUs} µs a deleted row` : ''})`,
  );
  const databases: Array<() => Promise<TestDatabase>> = [async () => tempSqliteDatabase()];
  const pg = process.env['TEST_DATABASE_URL'];
  if (pg) databases.push(() => tempPostgresDatabase(pg));
  else console.log('(PostgreSQL skipped: set TEST_DATABASE_URL to measure it too)');
  for (const create of databases) {
    const db = await create();
    try {
      await benchDatabase(db, options);
    } finally {
      await db.drop();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
