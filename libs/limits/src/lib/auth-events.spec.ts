import { Redis } from 'ioredis';
import { RecordingLogger } from '../testing/builders';
import { describeWithRedis, RedisForwarder, testRedisUrl, uniquePrefix } from '../testing/redis';
import { NoAuthEvents, RedisAuthEvents } from './auth-events';
import { createLimitsRedis } from './redis-limit-store';

const url = testRedisUrl('RedisAuthEvents suite');
const withRedis = describeWithRedis(url);

/** Resolves at the next call of the returned listener. */
function nextCall(): { listener: () => void; called: () => Promise<void>; count: () => number } {
  let n = 0;
  let waiters: Array<() => void> = [];
  return {
    listener: () => {
      n++;
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    },
    called: () => new Promise<void>((resolve) => waiters.push(resolve)),
    count: () => n,
  };
}

describe('NoAuthEvents', () => {
  it('publishes to nobody and never calls back', async () => {
    const bus = new NoAuthEvents();
    const unsubscribe = bus.subscribe();
    await expect(bus.publish()).resolves.toBeUndefined();
    await expect(bus.subscribed()).resolves.toBeUndefined();
    unsubscribe();
    await bus.close();
  });
});

withRedis('RedisAuthEvents', () => {
  const prefix = uniquePrefix('auth-events');
  const opened: Array<{ close(): Promise<void> } | Redis> = [];
  afterAll(async () => {
    for (const o of opened.reverse()) {
      if (o instanceof Redis) o.disconnect();
      else await o.close();
    }
  });

  function aBus(redisUrl: string, logger = new RecordingLogger()): RedisAuthEvents {
    const redis = createLimitsRedis(redisUrl, { retryStrategy: () => 20 });
    const bus = new RedisAuthEvents({ redis, keyPrefix: prefix, logger });
    opened.push(redis, bus);
    return bus;
  }

  it('one instance publishes, another (its own connections) hears it on <prefix>auth-changed', async () => {
    const dashboard = aBus(String(url));
    const proxy = aBus(String(url));
    expect(proxy.channel).toBe(`${prefix}auth-changed`);
    const first = nextCall();
    const second = nextCall();
    const unsubscribe = proxy.subscribe(first.listener);
    proxy.subscribe(second.listener);
    await proxy.subscribed();

    const timings: number[] = [];
    for (let i = 0; i < 20; i++) {
      const heard = first.called();
      const started = process.hrtime.bigint();
      await dashboard.publish();
      await heard;
      timings.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    expect(first.count()).toBe(20);
    expect(second.count()).toBe(20);
    timings.sort((a, b) => a - b);
    process.stdout.write(`auth-changed publish → receive over Redis: median ${timings[10].toFixed(2)} ms, max ${timings[19].toFixed(2)} ms (20 events)\n`);

    unsubscribe();
    const heard = second.called();
    await dashboard.publish();
    await heard;
    expect(first.count()).toBe(20);
    expect(second.count()).toBe(21);
  });

  it('resubscribes after the connection drops, calls back once for what it may have missed, and hears the next event', async () => {
    const forwarder = RedisForwarder.forUrl(String(url));
    await forwarder.start();
    opened.push({ close: () => forwarder.stop() });
    const logger = new RecordingLogger();
    const proxy = aBus(forwarder.url, logger);
    const dashboard = aBus(String(url));
    const calls = nextCall();
    proxy.subscribe(calls.listener);
    await proxy.subscribed();

    await forwarder.stop();
    const caughtUp = calls.called();
    await forwarder.start();
    await caughtUp;
    expect(calls.count()).toBe(1);
    expect(logger.warnings).toEqual([expect.stringMatching(/Redis subscriber for .*auth-changed lost/)]);
    expect(logger.logs).toEqual([expect.stringMatching(/Redis subscriber for .*auth-changed is back/)]);

    const heard = calls.called();
    await dashboard.publish();
    await heard;
    expect(calls.count()).toBe(2);
  });

  it('publishing while Redis is away resolves and warns once', async () => {
    const logger = new RecordingLogger();
    const bus = aBus('redis://127.0.0.1:1', logger);
    await bus.publish();
    await bus.publish();
    expect(logger.warnings).toEqual([expect.stringMatching(/Could not publish .*auth-changed.*auth_epoch poll/)]);
  });

  it('a listener that throws does not keep the others from hearing', async () => {
    const logger = new RecordingLogger();
    const proxy = aBus(String(url), logger);
    const dashboard = aBus(String(url));
    const calls = nextCall();
    proxy.subscribe(() => {
      throw new Error('boom');
    });
    proxy.subscribe(calls.listener);
    await proxy.subscribed();
    const heard = calls.called();
    await dashboard.publish();
    await heard;
    expect(logger.warnings).toEqual(['An auth-changed listener failed: boom']);
  });
});
