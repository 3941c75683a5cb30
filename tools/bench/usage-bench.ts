/**
 * `npm run bench:usage -- [--rows N] [--days D] [--tokens T] [--models M] [--runs R] [--database-url URL]`
 *
 * Times the usage analytics queries the dashboard runs: summary?days=30, summary?days=365,
 * the first request-log page and a filtered page (status=error and one model), p50/p95
 * over R runs each (after warm-up), in both scopes (one user's rows, and scope=all).
 *
 * Without --database-url it seeds a temp SQLite database (default 1,000,000 rows over 365
 * days) through the real recorder, and a temp PostgreSQL database too when
 * TEST_DATABASE_URL is set. With --database-url it measures that database as it is
 * (seed it first with `npm run seed:usage`), or seeds it when --rows is given.
 * The services are called in-process: the figures are database plus mapping time, without
 * the few tenths of a millisecond HTTP adds.
 */
import { tempPostgresDatabase, tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { UsageLogService, UsageScope, UsageSummaryService } from '@lmarena-bridge/usage';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { openSeedDatabase, seedUsage } from '../seed/seed-usage';

interface Case {
  name: string;
  run: () => Promise<unknown>;
}

const ms = (n: number) => n.toFixed(1).padStart(9);

async function time(run: () => Promise<unknown>, runs: number): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const rank = (q: number) => times[Math.max(1, Math.ceil(q * times.length)) - 1];
  return { p50: rank(0.5), p95: rank(0.95) };
}

async function measure(label: string, dataSource: DataSource, runs: number): Promise<void> {
  const summaries = new UsageSummaryService(dataSource);
  const logs = new UsageLogService(dataSource);
  const [{ n }] = await dataSource.query('SELECT COUNT(*) AS n FROM usage_logs');
  const [{ d }] = await dataSource.query('SELECT COUNT(*) AS d FROM usage_daily');
  const [{ l }] = await dataSource.query('SELECT COUNT(*) AS l FROM usage_day_latency');
  // The user with the most requests, and their second model (a filter that skips rows).
  const [top] = await dataSource.query('SELECT user_id, COUNT(*) AS n FROM usage_daily GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 1');
  const models: Array<{ model: string }> = await dataSource.query('SELECT DISTINCT model FROM usage_daily ORDER BY model');
  const model = models[1]?.model ?? models[0]?.model ?? 'echo';
  console.log(
    `\n${label}: ${Number(n).toLocaleString('en')} raw rows, ${Number(d).toLocaleString('en')} usage_daily rows, ${Number(l).toLocaleString('en')} usage_day_latency rows`,
  );
  console.log(`  ${'query'.padEnd(52)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}`);
  const scopes: Array<[string, UsageScope]> = [
    [`user ${top?.user_id}`, { userId: Number(top?.user_id ?? 1) }],
    ['scope=all', 'all'],
  ];
  for (const [who, scope] of scopes) {
    let deepCursor: string | null = null;
    for (let i = 0; i < 50; i++) deepCursor = (await logs.page({ cursor: deepCursor }, scope)).next_cursor;
    const cases: Case[] = [
      { name: 'summary?days=30', run: () => summaries.summary(30, scope) },
      { name: 'summary?days=365', run: () => summaries.summary(365, scope) },
      { name: 'logs (first page, 100)', run: () => logs.page({}, scope) },
      { name: `logs?status=error&model=${model}`, run: () => logs.page({ status: 'error', model }, scope) },
      // Informational: a text search (no index can serve a substring) and a page 50 pages deep.
      { name: 'logs?q=reset (text search)', run: () => logs.page({ q: 'reset' }, scope) },
      { name: 'logs, page 51 (keyset cursor)', run: () => logs.page({ cursor: deepCursor }, scope) },
    ];
    for (const c of cases) {
      const { p50, p95 } = await time(c.run, runs);
      console.log(`  ${`${c.name} (${who})`.padEnd(52)}${ms(p50)}${ms(p95)}`);
    }
  }
}

async function seeded(db: TestDatabase, options: { rows: number; days: number; tokens: number; models: number }): Promise<DataSource> {
  const dataSource = await openSeedDatabase(db.url);
  console.log(`\nSeeding ${db.name}: ${options.rows.toLocaleString('en')} rows over ${options.days} days, ${options.tokens} tokens, ${options.models} models…`);
  const result = await seedUsage(dataSource, { ...options, seed: 1 });
  console.log(`  seeded in ${result.seconds.toFixed(1)} s (${Math.round(result.rows / result.seconds).toLocaleString('en')} rows/s through the recorder)`);
  return dataSource;
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
    },
  });
  const int = (text: string | undefined, fallback: number) => (text === undefined ? fallback : Number(text));
  const options = { rows: int(values.rows, 1_000_000), days: int(values.days, 365), tokens: int(values.tokens, 10), models: int(values.models, 5) };
  const runs = int(values.runs, 20);
  console.log(`Usage analytics benchmark (Node ${process.version}, ${runs} runs per query after 3 warm-up runs)`);

  const url = values['database-url'];
  if (url) {
    const dataSource = await openSeedDatabase(url);
    try {
      if (values.rows !== undefined) await seedUsage(dataSource, { ...options, seed: 1 }, (m) => console.log(m));
      await measure(url.replace(/\/\/[^@/]*@/, '//…@'), dataSource, runs);
    } finally {
      await dataSource.destroy();
    }
    return;
  }
  const databases: Array<() => Promise<TestDatabase>> = [async () => tempSqliteDatabase()];
  const pg = process.env['TEST_DATABASE_URL'];
  if (pg) databases.push(() => tempPostgresDatabase(pg));
  else console.log('(PostgreSQL skipped: set TEST_DATABASE_URL to measure it too)');
  for (const create of databases) {
    const db = await create();
    let dataSource: DataSource | undefined;
    try {
      dataSource = await seeded(db, options);
      await measure(db.name, dataSource, runs);
    } finally {
      await dataSource?.destroy();
      await db.drop();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
