import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups the usage summary reads at a real team's scale. usage_daily (day x user x token x
 * model x status) and usage_daily_latency (day x user x token x model x bucket) hold about a
 * million rows a year at 100 tokens and 20 models, and a 365-day summary summed most of them
 * (1.4 s). Each figure of the summary now comes from the coarsest grain that still holds it:
 *
 * - usage_day_status (user, day, status): totals, by_day and by_status;
 * - usage_day_latency (user, day, bucket): the window's p50/p95 and each day's p95;
 * - usage_day_model and usage_month_model (user, day or month, model): by_model;
 * - usage_day_token and usage_month_token (user, day or month, token): by_token.
 *
 * `month` is the UTC day number of the month's first day, so it compares with day numbers:
 * the summary reads the whole months inside its window from the monthly tables and only the
 * edge days (at most 60) from the daily ones. The writer keeps them all in the batch's
 * transaction (libs/usage recorder/rollup-tables.ts), from the rows actually inserted.
 *
 * Keys start with user_id (an ordinary user's summary reads one key range; the user's
 * ON DELETE CASCADE uses it too). Scope 'all' filters by day or month alone, which a key
 * led by user_id cannot serve on either engine (SQLite without statistics scans the table,
 * PostgreSQL 15 has no skip scan): each table has a covering index led by day or month.
 * On SQLite the tables are WITHOUT ROWID, so the primary key holds every column and a
 * user's read never goes back to the table. token_id has no foreign key: tokens are revoked,
 * not deleted, except with their user, whose cascade takes these rows anyway (a foreign key
 * on token_id would make each token's deletion scan the table: no index starts with it).
 * usage_daily is unchanged.
 *
 * Filled from usage_daily and usage_daily_latency, which hold exactly these sums, then
 * usage_daily_latency (read by the summary only) is dropped. down() recreates it but cannot
 * refill it exactly: the token and model of each latency count are gone. It puts each user
 * day's histogram on one token and model of that day (its smallest in usage_daily), which is
 * all the summary before this migration read of it (sums per day and bucket, by user or for
 * everyone), so its percentiles are as they were; the split by token and model is lost.
 */

const SUMS = ['requests', 'response_time_ms_sum', 'prompt_tokens', 'completion_tokens', 'cost_nano_usd'];
const MODEL_SUMS = ['requests', 'errors', 'response_time_ms_sum', 'prompt_tokens', 'completion_tokens', 'cost_nano_usd'];
const TOKEN_SUMS = ['requests', 'cost_nano_usd'];

interface Rollup {
  table: string;
  key: Array<[name: string, type: 'integer' | 'varchar(200)']>;
  sums: string[];
}

const ROLLUPS: Rollup[] = [
  {
    table: 'usage_day_status',
    key: [
      ['user_id', 'integer'],
      ['day', 'integer'],
      ['status_code', 'integer'],
    ],
    sums: SUMS,
  },
  {
    table: 'usage_day_latency',
    key: [
      ['user_id', 'integer'],
      ['day', 'integer'],
      ['bucket', 'integer'],
    ],
    sums: ['count'],
  },
  {
    table: 'usage_day_model',
    key: [
      ['user_id', 'integer'],
      ['day', 'integer'],
      ['model', 'varchar(200)'],
    ],
    sums: MODEL_SUMS,
  },
  {
    table: 'usage_month_model',
    key: [
      ['user_id', 'integer'],
      ['month', 'integer'],
      ['model', 'varchar(200)'],
    ],
    sums: MODEL_SUMS,
  },
  {
    table: 'usage_day_token',
    key: [
      ['user_id', 'integer'],
      ['day', 'integer'],
      ['token_id', 'integer'],
    ],
    sums: TOKEN_SUMS,
  },
  {
    table: 'usage_month_token',
    key: [
      ['user_id', 'integer'],
      ['month', 'integer'],
      ['token_id', 'integer'],
    ],
    sums: TOKEN_SUMS,
  },
];

const quote = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
const sumsOf = (names: string[]) => names.map((n) => `SUM("${n}")`).join(', ');
/** Requests of a usage_daily row that are errors: anything but 2xx (isSuccessStatus). */
const ERRORS = `CASE WHEN "status_code" >= 200 AND "status_code" < 300 THEN 0 ELSE "requests" END`;

/** The UTC day number of the first day of the month holding the day number `day`. */
function monthOf(q: QueryRunner, day: string): string {
  if (q.connection.options.type === 'postgres') {
    // to_timestamp() is a timestamptz; AT TIME ZONE 'UTC' makes it the UTC wall clock, so the
    // month is cut at UTC midnight whatever the session's TimeZone.
    return `(date_trunc('month', to_timestamp(${day}::bigint * 86400) AT TIME ZONE 'UTC')::date - DATE '1970-01-01')`;
  }
  // 'unixepoch' reads seconds since the epoch as UTC (and no 'localtime' follows).
  return `(CAST(strftime('%s', ${day} * 86400, 'unixepoch', 'start of month') AS INTEGER) / 86400)`;
}

export class AnalyticsRollups1764500000006 implements MigrationInterface {
  name = 'AnalyticsRollups1764500000006';

  async up(q: QueryRunner): Promise<void> {
    const postgres = q.connection.options.type === 'postgres';
    for (const { table, key, sums } of ROLLUPS) {
      const columns = [...key.map(([name, type]) => `"${name}" ${type} NOT NULL`), ...sums.map((s) => `"${s}" bigint NOT NULL DEFAULT 0`)];
      await q.query(
        `CREATE TABLE "${table}" (${columns.join(', ')}, PRIMARY KEY (${quote(key.map(([n]) => n))}),
          FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE)${postgres ? '' : ' WITHOUT ROWID'}`,
      );
      // Scope 'all': day or month first, then the rest of the key and the counters.
      const [, period, rest] = key.map(([n]) => n);
      await q.query(`CREATE INDEX "IDX_${table}_${period}" ON "${table}" (${quote([period, rest, ...sums])})`);
    }

    await q.query(
      `INSERT INTO "usage_day_status" ("user_id", "day", "status_code", ${quote(SUMS)})
       SELECT "user_id", "day", "status_code", ${sumsOf(SUMS)} FROM "usage_daily" GROUP BY "user_id", "day", "status_code"`,
    );
    await q.query(
      `INSERT INTO "usage_day_latency" ("user_id", "day", "bucket", "count")
       SELECT "user_id", "day", "bucket", SUM("count") FROM "usage_daily_latency" GROUP BY "user_id", "day", "bucket"`,
    );
    const modelSums = `SUM("requests"), SUM(${ERRORS}), ${sumsOf(MODEL_SUMS.slice(2))}`;
    await q.query(
      `INSERT INTO "usage_day_model" ("user_id", "day", "model", ${quote(MODEL_SUMS)})
       SELECT "user_id", "day", "model", ${modelSums} FROM "usage_daily" GROUP BY "user_id", "day", "model"`,
    );
    await q.query(
      `INSERT INTO "usage_day_token" ("user_id", "day", "token_id", ${quote(TOKEN_SUMS)})
       SELECT "user_id", "day", "token_id", ${sumsOf(TOKEN_SUMS)} FROM "usage_daily" GROUP BY "user_id", "day", "token_id"`,
    );
    // The months from the day tables just filled: the same sums, from far fewer rows.
    for (const [table, column, sums] of [
      ['model', 'model', MODEL_SUMS],
      ['token', 'token_id', TOKEN_SUMS],
    ] as const) {
      await q.query(
        `INSERT INTO "usage_month_${table}" ("user_id", "month", "${column}", ${quote(sums)})
         SELECT "user_id", "month", "${column}", ${sumsOf(sums)}
           FROM (SELECT "user_id", ${monthOf(q, '"day"')} AS "month", "${column}", ${quote(sums)} FROM "usage_day_${table}") AS "days"
          GROUP BY "user_id", "month", "${column}"`,
      );
    }

    await q.query('DROP TABLE "usage_daily_latency"');
  }

  async down(q: QueryRunner): Promise<void> {
    // usage_daily_latency as the initial schema and UsageSummaryIndexes1764400000000 made it.
    await q.query(
      `CREATE TABLE "usage_daily_latency" ("day" integer NOT NULL, "user_id" integer NOT NULL, "token_id" integer NOT NULL, "model" varchar(200) NOT NULL,
        "bucket" integer NOT NULL, "count" bigint NOT NULL DEFAULT 0, PRIMARY KEY ("day", "user_id", "token_id", "model", "bucket"),
        FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE, FOREIGN KEY ("token_id") REFERENCES "api_tokens" ("id") ON DELETE CASCADE)`,
    );
    const indexes: Array<[string, string[]]> = [
      ['IDX_usage_daily_latency_user_day', ['user_id', 'day']],
      ['IDX_usage_daily_latency_day', ['day']],
      ['IDX_usage_daily_latency_day_cover', ['day', 'bucket', 'count']],
      ['IDX_usage_daily_latency_user_day_cover', ['user_id', 'day', 'bucket', 'count']],
    ];
    for (const [name, columns] of indexes) await q.query(`CREATE INDEX "${name}" ON "usage_daily_latency" (${quote(columns)})`);
    // Each user day's histogram on that day's smallest token, and that token's smallest model.
    await q.query(
      `INSERT INTO "usage_daily_latency" ("day", "user_id", "token_id", "model", "bucket", "count")
       SELECT l."day", l."user_id", o."token_id", (SELECT MIN(d."model") FROM "usage_daily" d
                WHERE d."day" = l."day" AND d."user_id" = l."user_id" AND d."token_id" = o."token_id"), l."bucket", l."count"
         FROM "usage_day_latency" l
         JOIN (SELECT "day", "user_id", MIN("token_id") AS "token_id" FROM "usage_daily" GROUP BY "day", "user_id") o
           ON o."day" = l."day" AND o."user_id" = l."user_id"`,
    );
    for (const { table } of [...ROLLUPS].reverse()) await q.query(`DROP TABLE "${table}"`);
  }
}
