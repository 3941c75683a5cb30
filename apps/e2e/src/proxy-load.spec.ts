import { Stack, startStack } from './support/stack';

const body = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'load test message' }] });

/** Sends `total` requests with `concurrency` in flight; resolves with the status of each (-1: no answer). */
async function burst(url: string, secret: string, total: number, concurrency: number, onAnswer?: (answered: number) => void): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  let answered = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      const status = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}` }, body })
        .then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        })
        .catch(() => -1);
      statuses.push(status);
      if (status > 0) onAnswer?.(++answered);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

describe('proxy under load with the dashboard on one SQLite file', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ usage: { batch_size: 100, flush_interval_ms: 50 } });
  });
  afterAll(() => stack?.stop());

  it('serves 600 requests while the dashboard creates and revokes tokens: no 5xx, no SQLITE_BUSY, one row each', async () => {
    const token = await stack.admin.createToken('load');
    const churn = (async () => {
      const unexpected: string[] = [];
      for (let i = 0; i < 40; i++) {
        const t = await stack.admin.request<{ id: number }>('POST', '/api/tokens', { name: `churn-${i}` });
        if (t.status !== 201) unexpected.push(`POST ${t.status} ${JSON.stringify(t.body)}`);
        const d = await stack.admin.request('DELETE', `/api/tokens/${t.body.id}`);
        if (d.status !== 204) unexpected.push(`DELETE ${d.status} ${JSON.stringify(d.body)}`);
      }
      return unexpected;
    })();
    const [proxyStatuses, dashboardProblems] = await Promise.all([burst(stack.proxy.url, token.token, 600, 32), churn]);
    expect(proxyStatuses.filter((s) => s !== 200)).toEqual([]);
    expect(dashboardProblems).toEqual([]);
    expect((await stack.usage.waitForRows(token.id, 600)).length).toBe(600);
    expect(stack.proxy.output() + stack.dashboard.output()).not.toMatch(/SQLITE_BUSY|database is locked/);
  });

  it('SIGTERM during a burst of 1,000 requests loses no row of an answered request', async () => {
    const token = await stack.admin.createToken('shutdown');
    let stopping: Promise<number | string> | null = null;
    const statuses = await burst(stack.proxy.url, token.token, 1000, 32, (answered) => {
      if (answered === 300 && !stopping) stopping = stack.proxy.stop('SIGTERM');
    });
    expect(await stopping).toBe(0);
    const answered = statuses.filter((s) => s === 200).length;
    expect(answered).toBeGreaterThanOrEqual(300);
    // Every answered request has its row; a request cut off mid-answer may have one too.
    const rows = stack.usage.count(token.id);
    expect(rows).toBeGreaterThanOrEqual(answered);
    expect(rows).toBeLessThanOrEqual(1000);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});
