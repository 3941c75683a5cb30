import type { UsageLogEntry } from '@lmarena-bridge/contracts';
import { utcDay } from '../recorder/usage-row';
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
