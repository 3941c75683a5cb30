// Benchmark: `sqlite3` (async, node-sqlite3) vs `better-sqlite3` (sync) for our usage patterns.
//
// Run:
//   npm i --prefix /tmp/sqlite3-bench sqlite3@6.0.1        # scratch install, never into this repo
//   SQLITE3_MODULE=/tmp/sqlite3-bench/node_modules/sqlite3 node tools/bench/sqlite-drivers.mjs
//
// better-sqlite3 comes from the project's node_modules. Every scenario uses a fresh temp file per
// driver with PRAGMA journal_mode=WAL, synchronous=NORMAL, busy_timeout=10000, foreign_keys=ON.
//   a. 10,000 usage_logs rows in one transaction via a prepared statement (5 runs, median)
//   b. 100,000 api_tokens lookups by sha256 hash over 10,000 tokens (sqlite3: sequential awaits)
//   c. 2 forked processes x 200 batches x 50 rows (BEGIN IMMEDIATE) into the same file
// Internal: `node sqlite-drivers.mjs child <driver> <file>` is the scenario-c writer process.
import { createRequire } from 'node:module';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const PRAGMAS = 'PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;';
const USAGE_DDL = `CREATE TABLE IF NOT EXISTS usage_logs(id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER,
  user_id INTEGER, token_id INTEGER, model TEXT, endpoint TEXT, stream INTEGER, status_code INTEGER,
  response_time_ms INTEGER, ttft_ms INTEGER, prompt_tokens INTEGER, completion_tokens INTEGER, error_message TEXT)`;
const USAGE_INS = `INSERT INTO usage_logs(created_at, user_id, token_id, model, endpoint, stream, status_code,
  response_time_ms, ttft_ms, prompt_tokens, completion_tokens, error_message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`;
const TOKEN_DDL = `CREATE TABLE api_tokens(id INTEGER PRIMARY KEY, user_id INTEGER, token_hash TEXT UNIQUE,
  revoked_at INTEGER, expires_at INTEGER)`;
const TOKEN_SEL = 'SELECT id, user_id, revoked_at, expires_at FROM api_tokens WHERE token_hash = ?';

// Deterministic PRNG so both drivers get identical data and lookup order.
function rng(seed) {
  return () => ((seed = Math.imul(seed ^ (seed >>> 15), 1 | (seed = (seed + 0x6d2b79f5) | 0)) >>> 0), seed / 2 ** 32);
}
const MODELS = ['gpt-4o', 'claude-sonnet-4', 'llama-3.1-70b', 'qwen-2.5-coder'];
function usageRows(n, seed) {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const ok = r() > 0.05;
    return [
      1_700_000_000_000 + i,
      1 + Math.floor(r() * 50),
      1 + Math.floor(r() * 500),
      MODELS[i % 4],
      i % 3 ? '/v1/chat/completions' : '/v1/messages',
      i % 2,
      ok ? 200 : 429,
      Math.floor(r() * 5000),
      Math.floor(r() * 800),
      Math.floor(r() * 4000),
      Math.floor(r() * 1000),
      ok ? null : 'rate limited by upstream',
    ];
  });
}

// ---- driver adapters: sqlite3 promisified; better-sqlite3 used synchronously as in production ----
const cb = (fn) => new Promise((ok, ko) => fn((e, v) => (e ? ko(e) : ok(v))));
async function openSqlite3(file) {
  const sqlite3 = require(resolve(process.env.SQLITE3_MODULE));
  let db;
  await cb((done) => (db = new sqlite3.Database(file, done)));
  await cb((done) => db.exec(PRAGMAS, done));
  return {
    exec: (sql) => cb((done) => db.exec(sql, done)),
    prepare: async (sql) => {
      let st;
      await cb((done) => (st = db.prepare(sql, done)));
      return {
        run: (p) => cb((done) => st.run(p, done)),
        get: (p) => cb((done) => st.get(p, done)),
        finalize: () => cb((done) => st.finalize(done)),
      };
    },
    close: () => cb((done) => db.close(done)),
  };
}
function openBetter(file) {
  const db = new (require('better-sqlite3'))(file);
  db.exec(PRAGMAS);
  return db;
}

// ---- scenarios (each returns metrics) ---------------------------------------------------------
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ROWS = usageRows(10_000, 42);

const open = (driver, file) => (driver === 'sqlite3' ? openSqlite3(file) : openBetter(file));
// Insert rows in one transaction with a prepared statement (prepared outside the clock); returns ms.
async function bulkInsert(driver, db, sql, rows) {
  if (driver === 'sqlite3') {
    const ins = await db.prepare(sql),
      t0 = now();
    await db.exec('BEGIN');
    for (const row of rows) await ins.run(row);
    await db.exec('COMMIT');
    const ms = now() - t0;
    await ins.finalize();
    return ms;
  }
  const ins = db.prepare(sql),
    t0 = now();
  db.transaction(() => {
    for (const row of rows) ins.run(row);
  })();
  return now() - t0;
}

async function scenarioA(driver, dir) {
  const times = [];
  for (let rep = 0; rep < 5; rep++) {
    const db = await open(driver, join(dir, `a-${driver}-${rep}.db`));
    await db.exec(USAGE_DDL);
    times.push(await bulkInsert(driver, db, USAGE_INS, ROWS));
    await db.close();
  }
  const ms = median(times);
  return { ms, perSec: (ROWS.length / ms) * 1000 };
}

const HASHES = Array.from({ length: 10_000 }, (_, i) => createHash('sha256').update(`sk-test-${i}`).digest('hex'));
const LOOKUPS = (() => {
  const r = rng(7);
  return Array.from({ length: 100_000 }, () => HASHES[Math.floor(r() * HASHES.length)]);
})();
const TOKEN_ROWS = HASHES.map((h, i) => [i + 1, 1 + (i % 50), h, i % 10 === 0 ? 1_700_000_000 : null, 1_900_000_000]);

async function scenarioB(driver, dir) {
  const db = await open(driver, join(dir, `b-${driver}.db`));
  await db.exec(TOKEN_DDL);
  await bulkInsert(driver, db, 'INSERT INTO api_tokens VALUES (?,?,?,?,?)', TOKEN_ROWS);
  let misses = 0,
    t0,
    ms;
  if (driver === 'sqlite3') {
    const sel = await db.prepare(TOKEN_SEL);
    t0 = now();
    for (const h of LOOKUPS) if (!(await sel.get([h]))) misses++; // sequential awaits, as a server would
    ms = now() - t0;
    await sel.finalize();
  } else {
    const sel = db.prepare(TOKEN_SEL);
    t0 = now();
    for (const h of LOOKUPS) if (!sel.get(h)) misses++;
    ms = now() - t0;
  }
  await db.close();
  if (misses) throw new Error(`${driver}: ${misses} lookups missed`);
  return { ms, perSec: (LOOKUPS.length / ms) * 1000 };
}

const BATCHES = 200,
  BATCH = 50,
  PROCS = 2;
async function child(driver, file) {
  const rows = usageRows(BATCH, process.pid);
  let busy = 0;
  const isBusy = (e) => e && (e.code === 'SQLITE_BUSY' || /SQLITE_BUSY/.test(e.message));
  const db = await open(driver, file),
    ins = await db.prepare(USAGE_INS);
  const batch =
    driver === 'sqlite3'
      ? async () => {
          await db.exec('BEGIN IMMEDIATE');
          for (const r of rows) await ins.run(r);
          await db.exec('COMMIT');
        }
      : db.transaction(() => {
          for (const r of rows) ins.run(r);
        }).immediate;
  await new Promise((ok) => {
    process.once('message', ok);
    process.send({ ready: true });
  });
  for (let b = 0; b < BATCHES; b++) {
    for (;;) {
      // on SQLITE_BUSY: count it, roll back if needed, retry the batch
      try {
        await batch();
        break;
      } catch (e) {
        if (!isBusy(e)) throw e;
        busy++;
      }
      try {
        await db.exec('ROLLBACK');
      } catch {
        /* no open transaction */
      }
    }
  }
  if (driver === 'sqlite3') await ins.finalize();
  await db.close();
  process.send({ busy }, () => process.disconnect());
}

async function scenarioC(driver, dir) {
  const file = join(dir, `c-${driver}.db`);
  openBetter(file).exec(USAGE_DDL).close();
  const kids = Array.from({ length: PROCS }, () => fork(SELF, ['child', driver, file]));
  const msg = (k) => new Promise((ok) => k.once('message', ok));
  const exited = kids.map((k) => new Promise((ok, ko) => k.on('exit', (c) => (c ? ko(new Error(`child exit ${c}`)) : ok()))));
  await Promise.all(kids.map(msg)); // both children opened the DB and prepared; start the clock
  const t0 = now();
  kids.forEach((k) => k.send('go'));
  const results = await Promise.all(kids.map(msg));
  const ms = now() - t0;
  await Promise.all(exited);
  const check = openBetter(file),
    count = check.prepare('SELECT count(*) AS n FROM usage_logs').get().n;
  check.close();
  const expected = PROCS * BATCHES * BATCH;
  if (count !== expected) throw new Error(`${driver}: final row count ${count} != ${expected}`);
  return { ms, perSec: (expected / ms) * 1000, busy: results.reduce((s, r) => s + r.busy, 0), count };
}

// ---- main -------------------------------------------------------------------------------------
async function main() {
  if (process.argv[2] === 'child') return child(process.argv[3], process.argv[4]);
  if (!process.env.SQLITE3_MODULE) return console.log('skipped: set SQLITE3_MODULE=/tmp/x/node_modules/sqlite3 (npm i --prefix /tmp/x sqlite3@6.0.1)');
  const v = (p) => require(join(p, 'package.json')).version;
  console.log(
    `node ${process.version} | sqlite3 ${v(resolve(process.env.SQLITE3_MODULE))} | better-sqlite3 ${v(require.resolve('better-sqlite3').replace(/lib[/\\].*$/, ''))}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-bench-'));
  const res = {};
  try {
    for (const d of ['sqlite3', 'better-sqlite3']) res[d] = { a: await scenarioA(d, dir), b: await scenarioB(d, dir), c: await scenarioC(d, dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (x) => (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10).toString();
  const rows = [
    ['a. insert 10k rows, 1 tx (median of 5, ms)', (r) => r.a.ms],
    ['a. insert rows/s', (r) => r.a.perSec],
    ['b. 100k token lookups (ms)', (r) => r.b.ms],
    ['b. lookups/s', (r) => r.b.perSec],
    ['c. 2 procs x 10k rows (20k total), wall ms', (r) => r.c.ms],
    ['c. rows/s', (r) => r.c.perSec],
    ['c. SQLITE_BUSY errors', (r) => r.c.busy, false],
    ['c. final row count', (r) => r.c.count, false],
  ].map(([name, get, ratio = true]) => {
    const s = get(res.sqlite3),
      b = get(res['better-sqlite3']);
    return [name, f(s), f(b), ratio ? `${(s / b).toFixed(2)}x` : '-'];
  });
  const table = [['scenario', 'sqlite3', 'better-sqlite3', 'ratio (sqlite3/bs3)'], ...rows];
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join(' | ');
  console.log([line(table[0]), w.map((n) => '-'.repeat(n)).join('-|-'), ...rows.map(line)].join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
