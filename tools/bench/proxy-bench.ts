/**
 * `npm run bench`: the proxy against a bare Node passthrough and the upstream itself, all
 * measured in this run on this machine. Starts a local fake OpenAI upstream, the built
 * proxy-api and dashboard-api (temp SQLite database, one dashboard token), drives each with
 * autocannon and prints req/s, p50/p99 and the proxy's ratios.
 */
import { tempSqliteDatabase } from '@lmarena-bridge/database/testing';
import { DashboardClient } from '../../apps/e2e/src/support/dashboard-client';
import { startFakeUpstream } from '../../apps/e2e/src/support/fake-openai';
import { startServer, writeTestConfig } from '../../apps/e2e/src/support/servers';
import { Figures, load, sequential } from './measure';
import { startPassthrough } from './passthrough';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const SEQUENTIAL_COUNT = Number(process.env['BENCH_SEQUENTIAL'] ?? 3000);
/**
 * Each scenario runs this many rounds, the targets taking turns within a round, and the
 * median round is reported: on a shared 2-core machine one run of a few seconds can be 30 %
 * off, and taking turns spreads slow spells over all three targets.
 */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median of each figure over the rounds; failures are summed, never hidden. */
function medianFigures(rounds: Figures[]): Figures {
  return {
    rps: median(rounds.map((f) => f.rps)),
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

function row(label: string, f: Figures): string {
  return `  ${label.padEnd(22)}${fmt(f.rps)}${fmt(f.p50, 3)}${fmt(f.p99, 3)}${String(f.failures).padStart(9)}`;
}

async function main(): Promise<void> {
  const upstream = await startFakeUpstream();
  const passthrough = await startPassthrough(upstream.url);
  const db = tempSqliteDatabase();
  const dir = writeTestConfig(
    { database: { url: db.url }, providers: { fake: { type: 'openai', base_url: upstream.url, timeout_ms: 30_000 } } },
    { up: { provider: 'fake', model: 'normal' } },
  );
  const env = { LOG_LEVEL: 'warn' };
  const [proxy, dashboard] = await Promise.all([startServer('proxy-api', dir.configPath, env), startServer('dashboard-api', dir.configPath, env)]);
  try {
    const client = new DashboardClient(dashboard.url);
    await client.signUp('bench', 'correct horse battery', true);
    const token = await client.createToken('bench');
    const auth = { authorization: `Bearer ${token.token}` };
    const targets = {
      upstream: { url: `${upstream.url}/chat/completions`, headers: {}, body: direct },
      passthrough: { url: `${passthrough.url}/v1/chat/completions`, headers: {}, body: direct },
      proxy: { url: `${proxy.url}/v1/chat/completions`, headers: auth, body: (s: string) => s },
    };
    console.log(`LMArena Bridge proxy benchmark (${SECONDS} s per run, median of ${ROUNDS} rounds, Node ${process.version})`);
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
      const rounds: Record<string, Figures[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, t] of Object.entries(targets)) {
          (rounds[name] ??= []).push(await scenario.run(t.url, t.body(scenario.body), t.headers));
        }
      }
      const figures = Object.fromEntries(Object.entries(rounds).map(([name, r]) => [name, medianFigures(r)]));
      const ratios = rounds['proxy'].map((p, i) => Math.round((p.rps / rounds['passthrough'][i].rps) * 100));
      console.log(`\n${scenario.name}\n  ${''.padEnd(22)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'failed'.padStart(9)}`);
      for (const [name, f] of Object.entries(figures)) console.log(row(name, f));
      const p = figures['proxy'];
      console.log(`  proxy / passthrough: req/s ${pct(p.rps, figures['passthrough'].rps)} (rounds: ${ratios.join(', ')} %)   proxy / upstream: req/s ${pct(p.rps, figures['upstream'].rps)}`);
      console.log(`  added p50 latency: ${(p.p50 - figures['passthrough'].p50).toFixed(3)} ms vs passthrough, ${(p.p50 - figures['upstream'].p50).toFixed(3)} ms vs upstream`);
    }
  } finally {
    await Promise.all([proxy.stop(), dashboard.stop()]);
    await passthrough.close();
    await upstream.close();
    await db.drop();
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
