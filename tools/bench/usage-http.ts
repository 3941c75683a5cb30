import { Pool } from 'undici';

/** One signed-in dashboard session over one keep-alive connection (sequential requests, as a browser tab makes them). */
export class DashboardSession {
  private constructor(
    private readonly pool: Pool,
    private readonly cookie: string,
  ) {}

  static async signIn(baseUrl: string, username: string, password: string): Promise<DashboardSession> {
    const pool = new Pool(baseUrl, { connections: 1, bodyTimeout: 600_000, headersTimeout: 600_000 });
    const res = await pool.request({
      path: '/api/auth/login',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const text = await res.body.text();
    const setCookie = res.headers['set-cookie'];
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (res.statusCode !== 200 || !first) {
      await pool.close();
      throw new Error(`sign-in as ${username} answered ${res.statusCode}: ${text}`);
    }
    return new DashboardSession(pool, first.split(';')[0]);
  }

  /** GET a path, reading the whole body: status, bytes, time to the first body byte and to the end (ms). */
  async get(path: string): Promise<{ status: number; bytes: number; firstByteMs: number; totalMs: number; head: string }> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const res = await this.pool.request({ path, method: 'GET', headers: { cookie: this.cookie } });
    let bytes = 0;
    let firstByteMs = -1;
    let head = '';
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (firstByteMs < 0) firstByteMs = elapsed();
      if (head.length < 300) head += chunk.subarray(0, 300).toString('utf8');
      bytes += chunk.length;
    }
    const totalMs = elapsed();
    return { status: res.statusCode, bytes, firstByteMs: firstByteMs < 0 ? totalMs : firstByteMs, totalMs, head };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The q-th quantile (nearest rank) of some values. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

export interface Timing {
  p50: number;
  p95: number;
  /** Answers that were not 200 (the first one's status and body start in `failure`). */
  failures: number;
  failure?: string;
}

/** p50/p95 of `runs` sequential GETs of `path` after `warmUp` untimed ones. */
export async function timeGet(session: DashboardSession, path: string, runs: number, warmUp = 3): Promise<Timing> {
  const times: number[] = [];
  let failures = 0;
  let failure: string | undefined;
  for (let i = 0; i < warmUp + runs; i++) {
    const answer = await session.get(path);
    if (answer.status !== 200) {
      failures += 1;
      failure ??= `${answer.status} ${answer.head.slice(0, 200)}`;
    }
    if (i >= warmUp) times.push(answer.totalMs);
  }
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), failures, failure };
}

export interface DownloadTiming {
  firstByteP50: number;
  firstByteP95: number;
  /** Median over the runs of body bytes / total time. */
  mbPerSecond: number;
  bytes: number;
  failures: number;
}

/** Time to first byte and throughput of a download, over `runs` runs after one untimed one. */
export async function timeDownload(session: DashboardSession, path: string, runs: number): Promise<DownloadTiming> {
  const firstBytes: number[] = [];
  const rates: number[] = [];
  let bytes = 0;
  let failures = 0;
  for (let i = 0; i < 1 + runs; i++) {
    const answer = await session.get(path);
    if (answer.status !== 200) failures += 1;
    if (i === 0) continue;
    firstBytes.push(answer.firstByteMs);
    rates.push(answer.bytes / 1e6 / (answer.totalMs / 1000));
    bytes = answer.bytes;
  }
  return { firstByteP50: quantile(firstBytes, 0.5), firstByteP95: quantile(firstBytes, 0.95), mbPerSecond: quantile(rates, 0.5), bytes, failures };
}
