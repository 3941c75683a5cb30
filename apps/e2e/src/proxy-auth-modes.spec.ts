import OpenAI from 'openai';
import { Stack, startStack } from './support/stack';

const SHARED_KEY = 'shared-key-of-the-original-design';
const hello = [{ role: 'user' as const, content: 'hi' }];

/** The seed's authentication order: use_dashboard_tokens x api_key. */
describe.each([
  { useDashboardTokens: true, apiKey: SHARED_KEY, dashboardToken: 200, sharedKey: 200, wrong: 401, none: 401 },
  { useDashboardTokens: true, apiKey: '', dashboardToken: 200, sharedKey: 401, wrong: 401, none: 401 },
  { useDashboardTokens: false, apiKey: SHARED_KEY, dashboardToken: 401, sharedKey: 200, wrong: 401, none: 401 },
  { useDashboardTokens: false, apiKey: '', dashboardToken: 200, sharedKey: 200, wrong: 200, none: 200 },
])('use_dashboard_tokens=$useDashboardTokens, api_key="$apiKey"', (mode) => {
  let stack: Stack;
  let token: { id: number; token: string };

  beforeAll(async () => {
    stack = await startStack({ use_dashboard_tokens: mode.useDashboardTokens, api_key: mode.apiKey, usage: { flush_interval_ms: 20 } });
    token = await stack.admin.createToken('mode');
  });
  afterAll(() => stack?.stop());

  const call = (apiKey: string) =>
    new OpenAI({ apiKey, baseURL: `${stack.proxy.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'echo', messages: hello }).then(
      () => 200,
      (err: { status?: number }) => err.status ?? -1,
    );

  it('dashboard token', async () => expect(await call(token.token)).toBe(mode.dashboardToken));
  it('shared api_key', async () => expect(await call(SHARED_KEY)).toBe(mode.sharedKey));
  it('a wrong key', async () => expect(await call('sk-wrong')).toBe(mode.wrong));
  it('no Authorization header', async () => {
    const res = await fetch(`${stack.proxy.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'echo', messages: hello }) });
    expect(res.status).toBe(mode.none);
  });

  it('records usage only for requests authenticated by a dashboard token', async () => {
    await call(SHARED_KEY);
    const expected = mode.useDashboardTokens ? 1 : 0;
    const rows = await stack.usage.waitForRows(token.id, expected, expected ? 5000 : 300);
    expect(rows).toHaveLength(expected);
  });

  if (!mode.useDashboardTokens && mode.apiKey === '') {
    it('warns at start-up that the proxy is open', () => {
      expect(stack.proxy.output()).toContain('WITHOUT authentication');
    });
  }
});
