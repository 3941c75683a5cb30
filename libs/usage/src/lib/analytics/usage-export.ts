import type { UsageLogEntry } from '@lmarena-bridge/contracts';
import { MAX_ROW_COST_USD, NANO_USD_PER_USD } from '../cost';
import { DAY_MS, utcDay } from '../recorder/usage-row';
import { num } from './sql';
import { bool, entryOfRow, LogRowArray } from './usage-log.service';
import { isoDate } from './usage-scope';

export type UsageExportFormat = 'csv' | 'json';
export const USAGE_EXPORT_FORMATS: readonly UsageExportFormat[] = ['csv', 'json'];

/** CSV columns: every field of the Log shape, in the contract's order (fields added later at the end, so older readers' columns stay put). */
export const USAGE_CSV_COLUMNS: ReadonlyArray<keyof UsageLogEntry> = [
  'id',
  'created_at',
  'token_id',
  'token_name',
  'model',
  'endpoint',
  'stream',
  'status_code',
  'response_time_ms',
  'ttft_ms',
  'prompt_tokens',
  'completion_tokens',
  'error_message',
  'usage_estimated',
  'cost_usd',
];

/**
 * One RFC 4180 field: quoted when it holds a comma, a double quote, CR or LF, with inner
 * quotes doubled. null is the empty field; booleans are `true`/`false`. Text that a
 * spreadsheet would run as a formula (starting with = + - @ or a tab/CR) gets a leading
 * apostrophe: model names, token names and error messages come from clients (OWASP CSV
 * injection).
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  // A number's or a boolean's text never holds a quote, comma or line break, and only text is neutralised.
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return typeof value === 'string' ? csvText(value) : String(value);
}

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTES = /"/g;

/** csvField of a string: the formula guard and the quoting, without the type checks. */
function csvText(value: string): string {
  const first = value.charCodeAt(0);
  // = + - @ TAB CR
  const text = first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13 ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(QUOTES, '""')}"` : text;
}

/** One record, CRLF-terminated as RFC 4180 has it. */
export function csvRecord(values: ReadonlyArray<string | number | boolean | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const USAGE_CSV_HEADER = csvRecord(USAGE_CSV_COLUMNS as readonly string[]);

/**
 * USD as plain decimal text to the nano-dollar, without exponent or trailing zeros:
 * `0.000000038`, not `3.8e-8` (which String() gives, and some spreadsheets read as text).
 */
export function usdText(usd: number): string {
  return usd.toFixed(9).replace(/\.?0+$/, '');
}

/**
 * csvRecord of the entry's fields in USAGE_CSV_COLUMNS order (the spec holds the two to the
 * same bytes), written out field by field: an export writes millions of these, and the
 * generic map/join over the column list cost more than reading the rows.
 */
export function csvLogRecord(e: UsageLogEntry): string {
  return (
    `${csvField(e.id)},${csvField(e.created_at)},${csvField(e.token_id)},${csvField(e.token_name)},${csvField(e.model)},${csvField(e.endpoint)},` +
    `${csvField(e.stream)},${csvField(e.status_code)},${csvField(e.response_time_ms)},${csvField(e.ttft_ms)},${csvField(e.prompt_tokens)},` +
    `${csvField(e.completion_tokens)},${csvField(e.error_message)},${csvField(e.usage_estimated)},${csvField(e.cost_usd !== null ? usdText(e.cost_usd) : null)}\r\n`
  );
}

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * `new Date(ms).toISOString()` for one export's rows, with the day's `YYYY-MM-DDT` made once
 * per UTC day and the time of day from integer arithmetic: a Date and its ISO text per row
 * cost about as much as the rest of the CSV record. Anything the shortcut does not cover
 * (fractions of a millisecond, years outside 0000–9999, out of range) goes through Date.
 */
export function isoTimes(): (ms: number) => string {
  let day = NaN;
  let prefix: string | null = null;
  return (ms) => {
    if (!Number.isInteger(ms)) return new Date(ms).toISOString();
    const d = Math.floor(ms / DAY_MS);
    if (d !== day) {
      const start = d * DAY_MS;
      const iso = Number.isSafeInteger(start) && Math.abs(start) <= 8.64e15 ? new Date(start).toISOString() : '';
      day = d;
      // Only the 4-digit years: the others are signed 6-digit ones ("+275760-…").
      prefix = iso.length === 24 ? iso.slice(0, 11) : null;
    }
    if (prefix === null) return new Date(ms).toISOString();
    const inDay = ms - d * DAY_MS;
    const seconds = Math.floor(inDay / 1000);
    return `${prefix}${PAD2[Math.floor(seconds / 3600)]}:${PAD2[Math.floor(seconds / 60) % 60]}:${PAD2[seconds % 60]}.${PAD3[inDay - seconds * 1000]}Z`;
  };
}

/** The text of a nullable integer column as csvField(numOrNull(value)) writes it. */
function nullableNumber(value: unknown): string {
  return value === null || value === undefined ? '' : String(Number(value));
}

/**
 * usdText(storableCostUsd(numOrNull(value))) as text, from the whole nano-dollars: the stored
 * cost is n / 1e9 for an integer n ≤ 1e15, the double nearest that decimal; below 2^20 dollars
 * its error is under 1.2e-10, so toFixed(9) writes exactly n's digits (the spec compares the two).
 */
function costText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const usd = Number(value);
  if (!Number.isFinite(usd)) return '';
  const nano = Math.round(Math.min(MAX_ROW_COST_USD, Math.max(0, usd)) * NANO_USD_PER_USD);
  const whole = Math.floor(nano / NANO_USD_PER_USD);
  let fraction = nano - whole * NANO_USD_PER_USD;
  if (fraction === 0) return String(whole);
  let digits = 9;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits -= 1;
  }
  return `${whole}.${String(fraction).padStart(digits, '0')}`;
}

/** Distinct texts a writer keeps (models, endpoints and token names are few; messages are not kept). */
const KNOWN_TEXTS = 4096;

/**
 * A writer of csvLogRecord(entryOfRow(row)), byte for byte (the spec holds the two to it), from
 * the driver's row arrays without the Log entry in between (see UsageLogService.rowPages), for
 * one export: it keeps the day's ISO text (isoTimes) and the CSV text of the model, endpoint
 * and token name, which repeat row after row.
 */
export function csvRowWriter(): (row: LogRowArray) => string {
  const iso = isoTimes();
  const known = new Map<string, string>();
  const text = (value: unknown): string => {
    if (typeof value !== 'string') return csvField(value as number | boolean | null);
    let field = known.get(value);
    if (field === undefined) {
      if (known.size >= KNOWN_TEXTS) known.clear();
      field = csvText(value);
      known.set(value, field);
    }
    return field;
  };
  return (row) => {
    const createdAt = iso(num(row[1]));
    return (
      // A 4-digit-year ISO time (24 characters; the others are signed) is digits and -T:.Z, which csvField leaves as it is.
      `${num(row[0])},${createdAt.length === 24 ? createdAt : csvField(createdAt)},${nullableNumber(row[2])},${text(row[3] ?? null)},` +
      `${text(row[4])},${text(row[5])},${bool(row[6]) ? 'true' : 'false'},${num(row[7])},${num(row[8])},${nullableNumber(row[9])},` +
      // A cost's text is digits and a dot, which csvField leaves as it is.
      `${nullableNumber(row[10])},${nullableNumber(row[11])},${csvField((row[12] ?? null) as string | null)},${bool(row[13]) ? 'true' : 'false'},${costText(row[14])}\r\n`
    );
  };
}

/** Text chunks of about this many UTF-16 units: a 5,000-row page of long messages is several. */
const CHUNK_CHARS = 64 * 1024;

/**
 * usageExportChunks() from pages of row arrays (UsageLogService.rowPages): the same bytes,
 * the CSV in chunks of about CHUNK_CHARS, the JSON a page at a time.
 */
export async function* usageExportRowChunks(pages: AsyncIterable<LogRowArray[]>, format: UsageExportFormat): AsyncGenerator<string> {
  if (format === 'csv') {
    const record = csvRowWriter();
    yield USAGE_CSV_HEADER;
    for await (const page of pages) {
      let chunk = '';
      for (const row of page) {
        chunk += record(row);
        if (chunk.length >= CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk !== '') yield chunk;
    }
    return;
  }
  async function* entries(): AsyncGenerator<UsageLogEntry[]> {
    for await (const page of pages) yield page.map(entryOfRow);
  }
  yield* usageExportChunks(entries(), format);
}

/**
 * The export file as text chunks, one per page of rows: CSV with a header row, or a JSON
 * array of Log objects. Pages are pulled only as the consumer takes chunks, so wrapped in
 * Readable.from() and piped to a response, memory stays at about one page however large
 * the export is.
 */
export async function* usageExportChunks(pages: AsyncIterable<UsageLogEntry[]>, format: UsageExportFormat): AsyncGenerator<string> {
  if (format === 'csv') {
    yield USAGE_CSV_HEADER;
    for await (const page of pages) {
      let chunk = '';
      for (const entry of page) chunk += csvLogRecord(entry);
      yield chunk;
    }
    return;
  }
  let first = true;
  yield '[';
  for await (const page of pages) {
    const body = page.map((entry) => JSON.stringify(entry)).join(',\n');
    yield first ? `\n${body}` : `,\n${body}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/** `usage-YYYY-MM-DD.csv` (or .json), dated the UTC day of `now`. */
export function usageExportFileName(format: UsageExportFormat, now: number): string {
  return `usage-${isoDate(utcDay(now))}.${format}`;
}

export function usageExportContentType(format: UsageExportFormat): string {
  return format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/json; charset=utf-8';
}
