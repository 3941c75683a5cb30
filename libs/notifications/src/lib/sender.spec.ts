import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestReceiver } from '../testing/receiver';
import { sendWebhook } from './sender';

describe('sendWebhook', () => {
  let receiver: TestReceiver;
  beforeAll(async () => (receiver = await TestReceiver.start()));
  afterAll(() => receiver.down());

  it('connects to the checked address but keeps the host name for Host', async () => {
    const result = await sendWebhook(`http://localhost:${receiver.port}/hook`, { 'x-lmb-event': 'webhook.test' }, '{}', true);
    expect(result).toMatchObject({ statusCode: 200, error: null, responseBody: 'ok 1' });
    expect(receiver.received[0].headers.host).toBe(`localhost:${receiver.port}`);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('gives up on a receiver that never answers after the timeout', async () => {
    const silent: Server = createServer(() => undefined); // reads the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const result = await sendWebhook(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, {}, '{}', true, 200);
      expect(result.statusCode).toBeNull();
      expect(result.error).toBe('timed out after 0.2 s');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses a private target without connecting', async () => {
    const result = await sendWebhook(`http://127.0.0.1:${receiver.port}/hook`, {}, '{}', false);
    expect(result).toMatchObject({ statusCode: null, responseBody: null });
    expect(result.error).toMatch(/^refused: /);
  });
});
