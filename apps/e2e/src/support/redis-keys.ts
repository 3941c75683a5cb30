import { Redis } from 'ioredis';

/**
 * Removes every key of one test run from the shared Redis: SCAN for `prefix*` and DEL what it
 * finds (never FLUSHALL or FLUSHDB: other runs and helpers use the same server). Resolves with
 * the number of keys removed.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_:.-]+$/.test(prefix)) throw new Error(`deleteKeysWithPrefix: ${JSON.stringify(prefix)} would need glob escaping`);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}
