import { Stack, startStack } from '../support/stack';
import { keepAlivePool } from './support/http';
import { activeHandles, HANDLES_PROBE } from './support/process-probe';

const CLIENTS = 64;
const WARM_UP = 300;
const REQUESTS = 4000;
/** Live heap may grow this much over the warmed-up baseline (caches, JIT, pools). */
const HEAP_SLACK_BYTES = 24 * 1024 * 1024;

const body = (stream: boolean) => JSON.stringify({ model: 'echo', stream, messages: [{ role: 'user', content: 'load test, one two three four' }] });

/**
 * Issue 7, load: 64 concurrent clients through the proxy (stream and non-stream) while the
 * dashboard creates and revokes tokens and reads summaries. No proxy-made 5xx, exactly one
 * usage row per answered request, and the proxy's live heap back near its warmed-up baseline.
 */
describe('load: 64 clients through the proxy while the dashboard works', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ usage: { batch_size: 200, flush_interval_ms: 50 } }, undefined, {
      NODE_OPTIONS: `--require ${HANDLES_PROBE}`,
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(() => stack?.stop());

  async function drive(secret: string, total: number, clients: number): Promise<{ statuses: number[]; unfinishedStreams: number }> {
    const pool = keepAlivePool(stack.proxy.url, clients);
    const statuses: number[] = [];
    let unfinishedStreams = 0;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const stream = next++ % 2 === 1;
        const res = await pool.request({
          path: '/v1/chat/completions',
          method: 'POST',
          body: body(stream),
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        });
        const text = await res.body.text();
        statuses.push(res.statusCode);
        if (stream && !text.endsWith('data: [DONE]\n\n')) unfinishedStreams += 1;
      }
    };
    try {
      await Promise.all(Array.from({ length: clients }, worker));
    } finally {
      await pool.close();
    }
    return { statuses, unfinishedStreams };
  }

  it('serves every request, records each exactly once, and returns to its memory baseline', async () => {
    const token = await stack.admin.createToken('load');
    await drive(token.token, WARM_UP, 16);
    await stack.usage.waitForRows(token.id, WARM_UP);
    const baseline = await activeHandles(stack.proxy);

    let loading = true;
    const dashboardWork = (async () => {
      const problems: string[] = [];
      let summaries = 0;
      for (let i = 0; loading || i < 5; i++) {
        const created = await stack.admin.request<{ id: number }>('POST', '/api/tokens', { name: `churn-${i}` });
        if (created.status !== 201) problems.push(`POST /api/tokens ${created.status}`);
        const revoked = await stack.admin.request('DELETE', `/api/tokens/${created.body.id}`);
        if (revoked.status !== 204) problems.push(`DELETE ${revoked.status}`);
        const summary = await stack.admin.request<{ total_requests: number }>('GET', '/api/usage/summary?days=1');
        if (summary.status !== 200) problems.push(`summary ${summary.status}`);
        summaries += 1;
      }
      return { problems, summaries };
    })();

    const { statuses, unfinishedStreams } = await drive(token.token, REQUESTS, CLIENTS);
    loading = false;
    const dashboard = await dashboardWork;

    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(unfinishedStreams).toBe(0);
    expect(dashboard.problems).toEqual([]);
    expect(dashboard.summaries).toBeGreaterThanOrEqual(5);
    const rows = await stack.usage.waitForRows(token.id, WARM_UP + REQUESTS);
    expect(rows).toHaveLength(WARM_UP + REQUESTS);
    expect(rows.filter((r) => r.stream === 1)).toHaveLength(WARM_UP / 2 + REQUESTS / 2);

    const after = await activeHandles(stack.proxy);
    expect(after.heapUsed).toBeLessThan(baseline.heapUsed + HEAP_SLACK_BYTES);
    // The summary the dashboard serves counts this load exactly.
    const summary = await stack.admin.request<{ total_requests: number }>('GET', '/api/usage/summary?days=1');
    expect(summary.body.total_requests).toBe(WARM_UP + REQUESTS);
    process.stdout.write(
      `load: ${REQUESTS} requests at c=${CLIENTS}, ${dashboard.summaries} dashboard rounds, heap ${(baseline.heapUsed / 1048576).toFixed(1)} → ${(after.heapUsed / 1048576).toFixed(1)} MiB\n`,
    );
  }, 120_000);
});
