import { DataSource, DataSourceOptions } from 'typeorm';
import { TestDatabase, testDatabaseKinds } from '../../testing';
import { dataSourceOptions } from '../data-source';
import { runMigrations } from '../migrate';
import { migrations } from '.';
import { AnalyticsRollups1764500000006 } from './1764500000006-analytics-rollups';

type Row = Record<string, number | string>;

/** A seeded PRNG (mulberry32), so the rows are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dayOf = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
/** The month key the plain way: the day number of the month's first day, from the calendar. */
const monthOf = (day: number) => {
  const d = new Date(day * 86_400_000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 86_400_000;
};

/**
 * Days around what can go wrong: the epoch, a leap day, the turn of a year, a run across
 * February, the last day before 2^31 seconds (2038-01-19) and the day after it.
 */
const DAYS = [
  dayOf('1970-01-01'),
  dayOf('2024-02-28'),
  dayOf('2024-02-29'),
  dayOf('2024-03-01'),
  dayOf('2024-12-31'),
  dayOf('2025-01-01'),
  ...Array.from({ length: 40 }, (_, i) => dayOf('2025-01-25') + i),
  dayOf('2038-01-18'),
  dayOf('2038-01-20'),
];
const MODELS = ['echo', 'Echo', 'gpt-4o', 'claude 3'];
const STATUSES = [200, 201, 400, 429, 499, 502];

const sortByKey = (rows: Row[], key: string[]) =>
  [...rows].sort((a, b) => {
    for (const k of key) if (a[k] !== b[k]) return typeof a[k] === 'number' ? Number(a[k]) - Number(b[k]) : String(a[k]) < String(b[k]) ? -1 : 1;
    return 0;
  });

/** Sums `rows` per `key`: the rows' `sums` columns added, under the key columns. */
function groupSum(rows: Row[], key: Array<[name: string, value: (r: Row) => number | string]>, sums: Array<[name: string, value: (r: Row) => number]>): Row[] {
  const out = new Map<string, Row>();
  for (const r of rows) {
    const k = key.map(([, f]) => f(r));
    const id = JSON.stringify(k);
    const row = out.get(id) ?? Object.fromEntries([...key.map(([n], i) => [n, k[i]]), ...sums.map(([n]) => [n, 0])]);
    for (const [n, f] of sums) row[n] = Number(row[n]) + f(r);
    out.set(id, row);
  }
  return sortByKey(
    [...out.values()],
    key.map(([n]) => n),
  );
}

const col = (name: string) => (r: Row) => r[name];
const num = (name: string) => (r: Row) => Number(r[name]);
const SUMS: Array<[string, (r: Row) => number]> = ['requests', 'response_time_ms_sum', 'prompt_tokens', 'completion_tokens', 'cost_nano_usd'].map((n) => [
  n,
  num(n),
]);
const ERRORS: [string, (r: Row) => number] = ['errors', (r) => (Number(r['status_code']) >= 200 && Number(r['status_code']) < 300 ? 0 : Number(r['requests']))];
const MODEL_SUMS = [SUMS[0], ERRORS, ...SUMS.slice(1)];
const TOKEN_SUMS = [SUMS[0], SUMS[4]];

const KEYS: Record<string, string[]> = {
  usage_day_status: ['user_id', 'day', 'status_code'],
  usage_day_latency: ['user_id', 'day', 'bucket'],
  usage_day_model: ['user_id', 'day', 'model'],
  usage_month_model: ['user_id', 'month', 'model'],
  usage_day_token: ['user_id', 'day', 'token_id'],
  usage_month_token: ['user_id', 'month', 'token_id'],
};

/** What each new rollup must hold: brute-force sums over the old rollups' rows. */
function expected(daily: Row[], latency: Row[]): Record<string, Row[]> {
  const month: [string, (r: Row) => number] = ['month', (r) => monthOf(Number(r['day']))];
  return {
    usage_day_status: groupSum(
      daily,
      [
        ['user_id', col('user_id')],
        ['day', col('day')],
        ['status_code', col('status_code')],
      ],
      SUMS,
    ),
    usage_day_latency: groupSum(
      latency,
      [
        ['user_id', col('user_id')],
        ['day', col('day')],
        ['bucket', col('bucket')],
      ],
      [['count', num('count')]],
    ),
    usage_day_model: groupSum(
      daily,
      [
        ['user_id', col('user_id')],
        ['day', col('day')],
        ['model', col('model')],
      ],
      MODEL_SUMS,
    ),
    usage_month_model: groupSum(daily, [['user_id', col('user_id')], month, ['model', col('model')]], MODEL_SUMS),
    usage_day_token: groupSum(
      daily,
      [
        ['user_id', col('user_id')],
        ['day', col('day')],
        ['token_id', col('token_id')],
      ],
      TOKEN_SUMS,
    ),
    usage_month_token: groupSum(daily, [['user_id', col('user_id')], month, ['token_id', col('token_id')]], TOKEN_SUMS),
  };
}

async function read(ds: DataSource, table: string, key: string[]): Promise<Row[]> {
  const rows: Array<Record<string, unknown>> = await ds.query(`SELECT * FROM ${table}`);
  return sortByKey(
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'model' ? String(v) : Number(v)]))),
    key,
  );
}

async function tableExists(ds: DataSource, table: string): Promise<boolean> {
  const runner = ds.createQueryRunner();
  try {
    return await runner.hasTable(table);
  } finally {
    await runner.release();
  }
}

/** Multi-row inserts of `rows` (all with the same columns), 100 at a time. */
async function insertAll(ds: DataSource, table: string, rows: Row[]): Promise<void> {
  const columns = Object.keys(rows[0]);
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    const params = chunk.flatMap((r) => columns.map((c) => r[c]));
    let n = 0;
    const mark = () => (ds.options.type === 'postgres' ? `$${++n}` : '?');
    const tuples = chunk.map(() => `(${columns.map(mark).join(', ')})`).join(', ');
    await ds.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples}`, params);
  }
}

describe.each(testDatabaseKinds())('migration AnalyticsRollups1764500000006 on $kind', ({ kind, create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  const daily: Row[] = [];
  const latency: Row[] = [];

  beforeAll(async () => {
    db = await create();
    // The schema as it was before this migration, with usage already in its rollups.
    const before = new DataSource({ ...dataSourceOptions(db.target, []), migrations: migrations.slice(0, migrations.indexOf(AnalyticsRollups1764500000006)) });
    await before.initialize();
    try {
      await runMigrations(before);
      const random = seeded(6);
      const int = (max: number) => Math.floor(random() * (max + 1));
      const owners: Array<{ user: number; tokens: number[] }> = [];
      for (const name of ['ann', 'bo', 'cy']) {
        await before.query(`INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES ('${name}', '${name}@example.com', 'x', 0, 0)`);
        const [{ id }] = await before.query(`SELECT id FROM users WHERE username = '${name}'`);
        const tokens: number[] = [];
        for (let t = 0; t < 3; t++) {
          await before.query(`INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at) VALUES (${id}, 't', '${name}-${t}', 'h', 0)`);
          const [{ max }] = await before.query('SELECT MAX(id) AS max FROM api_tokens');
          tokens.push(Number(max));
        }
        owners.push({ user: Number(id), tokens });
      }
      for (const day of DAYS) {
        for (const { user, tokens } of owners) {
          for (const token of tokens) {
            for (const model of MODELS) {
              if (random() < 0.4) continue;
              for (const status of STATUSES) {
                if (random() < 0.5) continue;
                const requests = 1 + int(5000);
                daily.push({
                  day,
                  user_id: user,
                  token_id: token,
                  model,
                  status_code: status,
                  requests,
                  response_time_ms_sum: requests * (1 + int(30_000)),
                  prompt_tokens: int(10_000_000),
                  completion_tokens: int(1_000_000),
                  // Up to 10^12 nano-dollars a row: sums past 2^32, exact as integers.
                  cost_nano_usd: int(1_000_000_000_000),
                  refused_requests: status === 429 ? int(requests) : 0,
                });
              }
              for (const bucket of new Set(Array.from({ length: 1 + int(6) }, () => int(81)))) {
                latency.push({ day, user_id: user, token_id: token, model, bucket, count: 1 + int(100_000) });
              }
            }
          }
        }
      }
      await insertAll(before, 'usage_daily', daily);
      await insertAll(before, 'usage_daily_latency', latency);
    } finally {
      await before.destroy();
    }
    // On PostgreSQL, a session time zone 11 hours behind UTC (00:00 UTC on the 1st is still the previous month there): months must still be cut at UTC midnight.
    const options = dataSourceOptions(db.target, []);
    ds = new DataSource(
      options.type === 'postgres' ? ({ ...options, extra: { ...options.extra, options: '-c TimeZone=Pacific/Pago_Pago' } } as DataSourceOptions) : options,
    );
    await ds.initialize();
    expect((await runMigrations(ds)).map((m) => m.name)).toEqual(migrations.slice(migrations.indexOf(AnalyticsRollups1764500000006)).map((m) => new m().name));
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('runs against enough rows to mean something (months, the year turn, 2038)', () => {
    expect(daily.length).toBeGreaterThan(2000);
    expect(new Set(daily.map((r) => monthOf(Number(r['day'])))).size).toBeGreaterThanOrEqual(7);
  });

  if (kind === 'postgres') {
    it('ran in a session whose TimeZone is not UTC', async () => {
      expect((await ds.query('SHOW TimeZone'))[0].TimeZone).toBe('Pacific/Pago_Pago');
    });
  }

  it('fills every new rollup with the brute-force sums of usage_daily and usage_daily_latency', async () => {
    const want = expected(daily, latency);
    for (const [table, key] of Object.entries(KEYS)) {
      const got = await read(ds, table, key);
      expect([table, got.length]).toEqual([table, want[table].length]);
      expect([table, got]).toEqual([table, want[table]]);
    }
  });

  it('keeps usage_daily as it was and drops usage_daily_latency', async () => {
    const key = ['day', 'user_id', 'token_id', 'model', 'status_code'];
    expect(await read(ds, 'usage_daily', key)).toEqual(sortByKey(daily, key));
    expect(await tableExists(ds, 'usage_daily_latency')).toBe(false);
  });

  it('goes down to a usage_daily_latency with the same sums per user, day and bucket (what the old summary read), and up again', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new AnalyticsRollups1764500000006().down(runner);
      for (const table of Object.keys(KEYS)) expect([table, await tableExists(ds, table)]).toEqual([table, false]);
      const back = await read(ds, 'usage_daily_latency', ['day', 'user_id', 'token_id', 'model', 'bucket']);
      const perDay = (rows: Row[]) =>
        groupSum(
          rows,
          [
            ['user_id', col('user_id')],
            ['day', col('day')],
            ['bucket', col('bucket')],
          ],
          [['count', num('count')]],
        );
      expect(perDay(back)).toEqual(perDay(latency));
      // Each user day's histogram sits on one of that day's tokens and models in usage_daily.
      const used = new Set(daily.map((r) => `${r['day']}/${r['user_id']}/${r['token_id']}/${r['model']}`));
      expect(back.every((r) => used.has(`${r['day']}/${r['user_id']}/${r['token_id']}/${r['model']}`))).toBe(true);

      await new AnalyticsRollups1764500000006().up(runner);
      const want = expected(daily, latency);
      for (const [table, key] of Object.entries(KEYS)) expect([table, await read(ds, table, key)]).toEqual([table, want[table]]);
    } finally {
      await runner.release();
    }
  });
});
