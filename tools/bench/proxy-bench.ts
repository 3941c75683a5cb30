/**
 * `npm run bench`: the proxy against a bare Node passthrough and the upstream itself, all
 * measured in this run on this machine. Starts a local fake OpenAI upstream, the built
 * proxy-api and dashboard-api (temp SQLite database, one dashboard token), drives each with
 * autocannon and prints req/s, p50/p99 and the proxy's ratios.
 */
import { tempSqliteDatabase } from '@lmarena-bridge/database/testing';
import { DashboardClient } from '../../apps/e2e/src/support/dashboard-client';
import { startFakeUpstream } from '../../apps/e2e/src/support/fake-openai';
import { RunningServer, startServer, writeTestConfig } from '../../apps/e2e/src/support/servers';
import { Redis } from 'ioredis';
import { cpuMicros, pinToCpu } from './cpu';
import { Figures, load, sequential } from './measure';
import { startPassthrough } from './passthrough';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const SEQUENTIAL_COUNT = Number(process.env['BENCH_SEQUENTIAL'] ?? 3000);
/**
 * Each scenario runs this many rounds, the targets taking turns within a round, and the
 * median round is reported: on a shared 2-core machine one run of a few seconds can be 30 %
 * off, and taking turns spreads slow spells over all three targets.
 */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median of each figure over the rounds; failures are summed, never hidden. */
function medianFigures(rounds: Measured[]): Measured {
  const cpu = rounds.map((f) => f.cpuMicros);
  return {
    rps: median(rounds.map((f) => f.rps)),
    requests: rounds.reduce((sum, f) => sum + f.requests, 0),
    cpuMicros: cpu.every((c): c is number => c !== null) ? median(cpu) : null,
    p50: median(rounds.map((f) => f.p50)),
    p99: median(rounds.map((f) => f.p99)),
    failures: rounds.reduce((sum, f) => sum + f.failures, 0),
  };
}
const messages = [{ role: 'user', content: 'Say hello to the benchmark.' }];
const nonStream = JSON.stringify({ model: 'up', messages });
const stream = JSON.stringify({ model: 'up', messages, stream: true });
const direct = (s: string) => s.replace('"up"', '"normal"');

const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(9);
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)}%`.padStart(6);

/** A run's figures and the CPU time the server spent per request (null: not measurable). */
type Measured = Figures & { cpuMicros: number | null };

function row(label: string, f: Measured): string {
  const cpu = f.cpuMicros === null ? '–'.padStart(11) : f.cpuMicros.toFixed(0).padStart(11);
  return `  ${label.padEnd(22)}${fmt(f.rps)}${fmt(f.p50, 3)}${fmt(f.p99, 3)}${cpu}${String(f.failures).padStart(7)}`;
}

/** Runs one measurement and reads the server process's CPU time around it. */
async function measured(pid: number | undefined, run: () => Promise<Figures>): Promise<Measured> {
  const before = cpuMicros(pid);
  const figures = await run();
  const after = cpuMicros(pid);
  return { ...figures, cpuMicros: before === null || after === null ? null : (after - before) / figures.requests };
}

async function main(): Promise<void> {
  const upstream = await startFakeUpstream();
  const passthrough = await startPassthrough(upstream.url);
  const db = tempSqliteDatabase();
  const dir = writeTestConfig(
    { database: { url: db.url }, providers: { fake: { type: 'openai', base_url: upstream.url, timeout_ms: 30_000 } } },
    { up: { provider: 'fake', model: 'normal' } },
  );
  // The default level, as users run it: what the proxy logs per request is part of its cost.
  const env = { LOG_LEVEL: 'info' };
  const [proxy, dashboard] = await Promise.all([startServer('proxy-api', dir.configPath, env), startServer('dashboard-api', dir.configPath, env)]);
  // One core for the load generator and the upstream (this process) and the idle dashboard,
  // the other for the server under test: passthrough and proxy get the same deal.
  const pinned = [
    pinToCpu(process.pid, 0),
    pinToCpu(dashboard.process.pid ?? -1, 0),
    pinToCpu(passthrough.pid ?? -1, 1),
    pinToCpu(proxy.process.pid ?? -1, 1),
  ].every(Boolean);
  try {
    const client = new DashboardClient(dashboard.url);
    await client.signUp('bench', 'correct horse battery', true);
    const token = await client.createToken('bench');
    const auth = { authorization: `Bearer ${token.token}` };
    const targets = {
      // The upstream runs in this process: its CPU time would include autocannon's.
      upstream: { url: `${upstream.url}/chat/completions`, headers: {}, body: direct, pid: undefined },
      passthrough: { url: `${passthrough.url}/v1/chat/completions`, headers: {}, body: direct, pid: passthrough.pid },
      proxy: { url: `${proxy.url}/v1/chat/completions`, headers: auth, body: (s: string) => s, pid: proxy.process.pid },
    };
    console.log(`LMArena Bridge proxy benchmark (${SECONDS} s per run, median of ${ROUNDS} rounds, Node ${process.version})`);
    console.log(
      pinned ? 'Load generator and upstream pinned to CPU 0, server under test to CPU 1.' : 'Could not pin processes to CPUs (taskset): figures are noisier.',
    );
    console.log('"cpu µs/req": CPU time (user + system) the server process spent per request.');
    // Warm every target up (JIT, connection pools) with both request kinds before measuring.
    for (const t of Object.values(targets)) {
      for (const b of [nonStream, stream]) await load(t.url, t.body(b), t.headers, 16, 2);
    }
    const scenarios: Array<{ name: string; body: string; run: (url: string, body: string, headers: Record<string, string>) => Promise<Figures> }> = [
      { name: 'non-stream, sequential (c=1, exact latency)', body: nonStream, run: (u, b, h) => sequential(u, b, h, SEQUENTIAL_COUNT) },
      { name: 'non-stream, c=1', body: nonStream, run: (u, b, h) => load(u, b, h, 1, SECONDS) },
      { name: 'non-stream, c=64', body: nonStream, run: (u, b, h) => load(u, b, h, 64, SECONDS) },
      { name: 'stream, c=16', body: stream, run: (u, b, h) => load(u, b, h, 16, SECONDS) },
    ];
    for (const scenario of scenarios) {
      const rounds: Record<string, Measured[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, t] of Object.entries(targets)) {
          (rounds[name] ??= []).push(await measured(t.pid, () => scenario.run(t.url, t.body(scenario.body), t.headers)));
        }
      }
      const figures = Object.fromEntries(Object.entries(rounds).map(([name, r]) => [name, medianFigures(r)]));
      const ratios = rounds['proxy'].map((p, i) => Math.round((p.rps / rounds['passthrough'][i].rps) * 100));
      console.log(
        `\n${scenario.name}\n  ${''.padEnd(22)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'cpu µs/req'.padStart(11)}${'failed'.padStart(7)}`,
      );
      for (const [name, f] of Object.entries(figures)) console.log(row(name, f));
      const p = figures['proxy'];
      // Rounds are paired (the targets take turns), so the ratio is the median of the rounds' ratios.
      console.log(
        `  proxy / passthrough: req/s ${`${median(ratios)}%`.padStart(6)} (rounds: ${ratios.join(', ')} %)   proxy / upstream: req/s ${pct(p.rps, figures['upstream'].rps)}`,
      );
      const pass = figures['passthrough'];
      if (p.cpuMicros !== null && pass.cpuMicros !== null) {
        console.log(
          `  CPU per request: proxy ${p.cpuMicros.toFixed(0)} µs, passthrough ${pass.cpuMicros.toFixed(0)} µs (${(p.cpuMicros / pass.cpuMicros).toFixed(2)}x)`,
        );
      }
      console.log(
        `  added p50 latency: ${(p.p50 - figures['passthrough'].p50).toFixed(3)} ms vs passthrough, ${(p.p50 - figures['upstream'].p50).toFixed(3)} ms vs upstream`,
      );
    }
    await benchLimits(client, dir.configPath, proxy, auth);
  } finally {
    await Promise.all([proxy.stop(), dashboard.stop()]);
    await passthrough.close();
    await upstream.close();
    await db.drop();
    dir.cleanup();
  }
}

/**
 * What limits cost: the same proxy and upstream, a token without limits beside one with every
 * counted limit set (so high that nothing is refused: each request takes the whole path, the
 * prompt counted with the tokenizer for tpm included), counted in memory by this proxy, and
 * counted on Redis by a second proxy process on the same database (what several instances do).
 */
async function benchLimits(client: DashboardClient, configPath: string, proxy: RunningServer, unlimited: Record<string, string>): Promise<void> {
  const redisUrl = process.env['REDIS_URL'] ?? process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = `lmb-bench-${process.pid}-${Date.now()}:`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch (err) {
    console.log(`\nlimits: not measured, no Redis at ${redisUrl} (${err instanceof Error ? err.message : String(err)})`);
    redis.disconnect();
    return;
  }
  const shared = await startServer('proxy-api', configPath, { LOG_LEVEL: 'info', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix });
  pinToCpu(shared.process.pid ?? -1, 1);
  try {
    const token = await client.createToken('bench-limited');
    const huge = 1_000_000_000;
    const patched = await client.request('PATCH', `/api/tokens/${token.id}`, {
      limits: { rpm: huge, tpm: huge, max_parallel: 100_000, daily_requests: huge, monthly_tokens: huge, monthly_budget_usd: 1_000_000 },
    });
    if (patched.status !== 200) throw new Error(`setting the bench token's limits answered ${patched.status}`);
    const limited = { authorization: `Bearer ${token.token}` };
    const targets = {
      'no limits': { url: `${proxy.url}/v1/chat/completions`, headers: unlimited, pid: proxy.process.pid },
      'limits, memory': { url: `${proxy.url}/v1/chat/completions`, headers: limited, pid: proxy.process.pid },
      'limits, Redis': { url: `${shared.url}/v1/chat/completions`, headers: limited, pid: shared.process.pid },
    };
    for (const t of Object.values(targets)) await load(t.url, nonStream, t.headers, 16, 2);
    for (const connections of [1, 64]) {
      const rounds: Record<string, Measured[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, t] of Object.entries(targets)) {
          (rounds[name] ??= []).push(await measured(t.pid, () => load(t.url, nonStream, t.headers, connections, SECONDS)));
        }
      }
      console.log(
        `\nlimits: non-stream, c=${connections} (every counted limit set, none reached)\n  ${''.padEnd(22)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'cpu µs/req'.padStart(11)}${'failed'.padStart(7)}`,
      );
      const figures = Object.fromEntries(Object.entries(rounds).map(([name, r]) => [name, medianFigures(r)]));
      for (const [name, f] of Object.entries(figures)) console.log(row(name, f));
      const base = figures['no limits'];
      for (const name of ['limits, memory', 'limits, Redis']) {
        const f = figures[name];
        const cpu = f.cpuMicros !== null && base.cpuMicros !== null ? `, CPU ${(f.cpuMicros - base.cpuMicros).toFixed(0)} µs/req more` : '';
        console.log(`  ${name} / no limits: req/s ${pct(f.rps, base.rps)}${cpu}`);
      }
    }
  } finally {
    await shared.stop();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
