import type { UsageRow } from '../lib/recorder/usage-row';

/** A seeded PRNG (mulberry32): the same seed gives the same "random" rows on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Picker {
  int(min: number, max: number): number;
  one<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function picker(random: () => number): Picker {
  return {
    int: (min, max) => min + Math.floor(random() * (max - min + 1)),
    one: (items) => items[Math.floor(random() * items.length)],
    chance: (p) => random() < p,
  };
}

/** Statuses the proxy records: success, a bad request, a client that went away, an upstream failure. */
export const SEED_STATUSES = [200, 200, 200, 200, 200, 400, 499, 502] as const;

/**
 * A request with random but known values: response times spread log-uniformly from 1 ms to
 * about 20 s (so percentiles cross many buckets), tokens only on successes, an error
 * message (with commas, quotes and newlines now and then) only on errors.
 */
export function aRandomRow(pick: Picker, fixed: Pick<UsageRow, 'createdAt' | 'userId' | 'tokenId' | 'model'> & Partial<Pick<UsageRow, 'endpoint'>>): UsageRow {
  const statusCode = pick.one(SEED_STATUSES);
  const ok = statusCode === 200;
  const responseTimeMs = Math.max(1, Math.round(Math.exp(pick.int(0, 9900) / 1000)));
  const stream = pick.chance(0.5);
  const messages = ['upstream reset', 'bad "model", try again', 'line one\r\nline two', 'client closed, 50% done', 'Rate_limit\\hit'];
  return {
    endpoint: '/v1/chat/completions',
    ...fixed,
    stream,
    statusCode,
    responseTimeMs,
    ttftMs: stream && ok ? Math.min(responseTimeMs, pick.int(1, 500)) : null,
    promptTokens: ok ? pick.int(1, 4000) : pick.chance(0.3) ? 0 : null,
    completionTokens: ok ? pick.int(1, 2000) : null,
    errorMessage: ok ? null : pick.one(messages),
  };
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF records) into records of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (c === '"' || c === '\r' || c === '\n') {
      throw new Error(`not RFC 4180 CSV: unquoted ${JSON.stringify(c)} at offset ${i}`);
    } else {
      field += c;
      i += 1;
    }
  }
  if (quoted) throw new Error('not RFC 4180 CSV: unterminated quoted field');
  if (field !== '' || record.length > 0) throw new Error('not RFC 4180 CSV: the last record has no CRLF');
  return records;
}

/** The exact nearest-rank percentile of plain numbers. */
export function exactPercentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}
