import type { Readable } from 'node:stream';
import { Client, ClientConfig, escapeLiteral } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { MAX_ROW_COST_USD, NANO_USD_PER_USD } from '../cost';
import { DAY_MS } from '../recorder/usage-row';
import { WALK_SETTINGS } from './log-rows';

/**
 * The CSV export on PostgreSQL: the server writes the records (`COPY (SELECT …) TO STDOUT`),
 * Node only forwards bytes. Reading rows instead costs Node ~6 µs a row (the protocol's cells,
 * then csvRowWriter), which held the export to ~17–27 MB/s on one core; here the server's
 * output functions do the work, and two slices of the window run at once on two backends.
 * The bytes are csvRowWriter's (the spec compares the two on every filter and on edge values).
 */

/** The csvText() formula guard and quoting's input: = + - @ TAB CR first get an apostrophe; '' is NULL (an empty field, which COPY would quote). */
function text(column: string): string {
  return `CASE WHEN ascii(${column}) IN (61, 43, 45, 64, 9, 13) THEN '''' || ${column} ELSE NULLIF(${column}, '') END`;
}

function flag(column: string): string {
  return `CASE WHEN ${column} THEN 'true' ELSE 'false' END`;
}

/** Milliseconds within the UTC day: created_at is within COPY_TIME_RANGE, so / and % need no floor. */
const IN_DAY = `(l.created_at % ${DAY_MS})`;
const pad = (expression: string, width: number) => `lpad((${expression})::text, ${width}, '0')`;

/**
 * toISOString() of created_at: the date as ISO text (DateStyle ISO, set per connection) and the
 * time of day from integer arithmetic; to_char() cost twice as much a row.
 */
const ISO_TIME =
  `(DATE '1970-01-01' + (l.created_at / ${DAY_MS})::int)::text || 'T' || ${pad(`${IN_DAY} / 3600000`, 2)} || ':' || ` +
  `${pad(`${IN_DAY} / 60000 % 60`, 2)} || ':' || ${pad(`${IN_DAY} / 1000 % 60`, 2)} || '.' || ${pad(`${IN_DAY} % 1000`, 3)} || 'Z'`;

/** The clamped cost in nano-dollars as a double, computed as costText() does in JavaScript. */
const NANO = `(LEAST(GREATEST(l.cost_usd, 0::float8), ${MAX_ROW_COST_USD}::float8) * ${NANO_USD_PER_USD}::float8)`;
/** Math.round(): ties upwards, unlike PostgreSQL's round() on a double (ties to even); exact below 2^52. */
const ROUNDED = `(CASE WHEN ${NANO} - floor(${NANO}) >= 0.5 THEN ceil(${NANO}) ELSE floor(${NANO}) END)::bigint`;
/** costText(): whole dollars, then the nano-dollars without trailing zeros; NaN and infinities (PostgreSQL's NaN equals itself) are empty. */
const COST =
  `CASE WHEN l.cost_usd IS NULL OR l.cost_usd IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) THEN NULL ` +
  `ELSE (${ROUNDED} / ${NANO_USD_PER_USD})::text || COALESCE('.' || NULLIF(rtrim(${pad(`${ROUNDED} % ${NANO_USD_PER_USD}`, 9)}, '0'), ''), '') END`;

/** The select list of csvRowWriter's record, for COPY … (FORMAT csv): the same fields in USAGE_CSV_COLUMNS order. */
export const COPY_CSV_COLUMNS = [
  'l.id',
  ISO_TIME,
  'l.token_id',
  text('t.name'),
  text('l.model'),
  text('l.endpoint'),
  flag('l.stream'),
  'l.status_code',
  'l.response_time_ms',
  'l.ttft_ms',
  'l.prompt_tokens',
  'l.completion_tokens',
  text('l.error_message'),
  flag('l.usage_estimated'),
  COST,
].join(', ');

/** created_at values ISO_TIME writes as toISOString() does (1970 to 9999); a window outside takes the row path. */
export const COPY_TIME_RANGE = { min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) };

/**
 * The statement with its `$n` parameters written in as literals: COPY takes no parameters.
 * Only what the log's statements bind: integers, text, booleans and null.
 */
export function inlineParameters(sql: string, values: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_match, n: string) => {
    const value = values[Number(n) - 1];
    if (value === null) return 'NULL';
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value === 'string') return escapeLiteral(value);
    throw new TypeError(`parameter $${n} cannot be written as a literal: ${String(value)}`);
  });
}

/**
 * CRLF record ends for COPY's output, which ends records with LF only (RFC 4180 and
 * csvRowWriter end them with CRLF); an LF inside a quoted field stays as it is. The state
 * (inside quotes or not) carries over from chunk to chunk; a doubled quote toggles twice.
 */
export function crlfRecords(): (chunk: Buffer) => Buffer {
  let quoted = false;
  return (chunk) => {
    const ends: number[] = [];
    let at = 0;
    // The next quote at or after `at` (-1: none left in this chunk), found again only once passed.
    let quote = chunk.indexOf(0x22, 0);
    while (at < chunk.length) {
      if (quoted) {
        if (quote < 0) break;
        quoted = false;
        at = quote + 1;
        quote = chunk.indexOf(0x22, at);
        continue;
      }
      const lf = chunk.indexOf(0x0a, at);
      if (quote >= 0 && (lf < 0 || quote < lf)) {
        quoted = true;
        at = quote + 1;
        quote = chunk.indexOf(0x22, at);
        continue;
      }
      if (lf < 0) break;
      ends.push(lf);
      at = lf + 1;
    }
    if (ends.length === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + ends.length);
    let from = 0;
    let written = 0;
    for (const lf of ends) {
      written += chunk.copy(out, written, from, lf);
      out[written++] = 0x0d;
      from = lf;
    }
    chunk.copy(out, written, from);
    return out;
  };
}

/** Bytes a slice's COPY may read ahead while the one before it is written: more than a slice of SLICE_ROWS short rows. */
export const COPY_READ_AHEAD = 4 * 1024 * 1024;

/**
 * The CSV records of `statements` (COPY statements, newest slice first, taken as needed), in
 * order: one on a connection while the next runs ahead on another, up to COPY_READ_AHEAD bytes. The
 * connections are the export's own, not the pool's (a COPY holds its connection as long as the
 * client takes to download; a pool connection is for short queries and has their timeout);
 * they are closed at the end, and a COPY under way is abandoned with its socket when the
 * consumer stops early.
 */
export async function* copyChunks(config: ClientConfig, statements: AsyncIterable<string>): AsyncGenerator<Buffer> {
  const pending = statements[Symbol.asyncIterator]();
  const take = async (): Promise<string | null> => {
    const next = await pending.next();
    return next.done ? null : next.value;
  };
  const clients: Client[] = [];
  const connect = async (): Promise<Client> => {
    const client = new Client({ ...config, keepAlive: true });
    clients.push(client);
    // A socket error after the COPY has failed (or been abandoned) is reported by the query; the client must not crash the process.
    client.on('error', () => undefined);
    await client.connect();
    // ISO_TIME's dates; no statement timeout: a COPY lasts as long as the client takes to read.
    // And the rows read in the order of an index, as the ordered walk of the log's pages is
    // (WALK_SETTINGS): planned without LIMIT, a slice is otherwise gathered and sorted first.
    await client.query(["SET DateStyle = 'ISO, YMD'", 'SET statement_timeout = 0', ...WALK_SETTINGS.map((setting) => `SET ${setting} = off`)].join('; '));
    return client;
  };
  /** Slice i's COPY, on connection i % 2 (opened for the first two slices). */
  const run = async (i: number): Promise<Readable | null> => {
    const sql = await take();
    if (sql === null) return null;
    const client = clients[i % 2] ?? (await connect());
    const copy = client.query(copyTo(sql, { highWaterMark: COPY_READ_AHEAD }));
    // Read or not yet (the one running ahead), a failed or abandoned COPY must not be an uncaught 'error': the loop below sees it when it reads.
    copy.on('error', () => undefined);
    return copy;
  };
  try {
    let current = await run(0);
    let next = current ? await run(1) : null;
    for (let i = 0; current; i++) {
      const crlf = crlfRecords();
      for await (const chunk of current) yield crlf(chunk as Buffer);
      current = next;
      next = current ? await run(i + 2) : null;
    }
  } finally {
    await pending.return?.();
    // end() of a client whose COPY is still under way destroys its socket.
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
