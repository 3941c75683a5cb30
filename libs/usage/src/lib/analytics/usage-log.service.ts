import type { UsageLogEntry, UsageLogPage } from '@lmarena-bridge/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { storableCostUsd } from '../cost';
import { decodeLogCursor, encodeLogCursor, LogCursor } from './log-cursor';
import { Arm, FTS_FEW, indexableQ, PLAIN, likeTerm, statusArms, textArms, tokenInScope } from './log-arms';
import { KeyIndex, rarestIndex } from './log-index-choice';
import { queryArrays, WALK_SETTINGS } from './log-rows';
import { COPY_CSV_COLUMNS, COPY_TIME_RANGE, inlineParameters } from './usage-export-copy';
import { isPostgres, num, numOrNull, SqlParams } from './sql';
import { UsageScope, usageWindow } from './usage-scope';

/** `success` (2xx), `error` (anything else) or one exact status code. */
export type LogStatusFilter = 'success' | 'error' | number;

/** Which rows of the request log; every field narrows, none widens past the scope. */
export interface UsageLogFilter {
  model?: string;
  /** Exact path, e.g. "/v1/embeddings". */
  endpoint?: string;
  tokenId?: number;
  status?: LogStatusFilter;
  /** Case-insensitive substring of the model, the token's name or the error message. */
  q?: string;
  /** Only the last `days` UTC days (as in the summary); absent: every stored row. */
  days?: number;
}

export interface UsageLogPageQuery extends UsageLogFilter {
  /** 1 to MAX_LOG_LIMIT, default DEFAULT_LOG_LIMIT. */
  limit?: number;
  /** next_cursor of the previous page. */
  cursor?: string | null;
}

export const DEFAULT_LOG_LIMIT = 100;
export const MAX_LOG_LIMIT = 1000;
/** Rows per query when a caller walks the whole log (export). */
export const LOG_EXPORT_PAGE = 1000;
/**
 * Rows per query of rowPages(): each page is a fresh index seek (and on PostgreSQL a round
 * trip), so fewer, larger pages; 5,000 rows are ~600 KB of CSV, a few MB with long messages.
 */
export const LOG_ROW_PAGE = 5000;
/**
 * Rows of the log per slice of a COPY export (see csvCopy): ~2.5 MB of CSV with short
 * messages, within what the next slice may read ahead while one is written (COPY_READ_AHEAD),
 * so the two run at once all along; finding each slice's start reads as many entries of the
 * time index (a few ms). The first slice is a tenth of it: its start is found before the first byte.
 */
export const SLICE_ROWS = 20_000;

/** The CSV export as COPY statements (newest slice first) and the connection settings to run them with. */
export interface CsvCopy {
  config: ClientConfig;
  statements: AsyncIterable<string>;
}

/** Bounds of one slice of the window: created_at >= from, created_at < before (absent: unbounded). */
interface TimeRange {
  from?: number;
  before?: number;
}

/**
 * A row of the request log as the engine's driver gives it, the columns in the order of
 * USAGE_CSV_COLUMNS (and the Log contract): id, created_at (epoch ms), token_id,
 * token_name, model, endpoint, stream, status_code, response_time_ms, ttft_ms,
 * prompt_tokens, completion_tokens, error_message, usage_estimated, cost_usd. Booleans are
 * 0/1 or true/false, bigints numbers or text: entryOfRow() and csvRowWriter() read either.
 */
export type LogRowArray = unknown[];

/** The query parameter's text as a filter, or null when it is none of the accepted forms. */
export function parseLogStatusFilter(text: string): LogStatusFilter | null {
  if (text === 'success' || text === 'error') return text;
  return /^[1-5]\d\d$/.test(text) ? Number(text) : null;
}

interface LogRow {
  id: number | string;
  created_at: number | string;
  token_id: number | string | null;
  token_name: string | null;
  model: string;
  endpoint: string;
  stream: boolean | number | string;
  status_code: number | string;
  response_time_ms: number | string;
  ttft_ms: number | string | null;
  prompt_tokens: number | string | null;
  completion_tokens: number | string | null;
  error_message: string | null;
  usage_estimated: boolean | number | string;
  cost_usd: number | string | null;
}

/** SQLite stores booleans as 0/1, PostgreSQL's driver gives true/false. */
export function bool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

function toEntry(row: LogRow): UsageLogEntry {
  return {
    id: num(row.id),
    created_at: new Date(num(row.created_at)).toISOString(),
    token_id: numOrNull(row.token_id),
    token_name: row.token_name ?? null,
    model: row.model,
    endpoint: row.endpoint,
    stream: bool(row.stream),
    status_code: num(row.status_code),
    response_time_ms: num(row.response_time_ms),
    ttft_ms: numOrNull(row.ttft_ms),
    prompt_tokens: numOrNull(row.prompt_tokens),
    completion_tokens: numOrNull(row.completion_tokens),
    error_message: row.error_message ?? null,
    usage_estimated: bool(row.usage_estimated),
    // Stored to the nano-dollar already; rounding again keeps the answer so for any row.
    cost_usd: storableCostUsd(numOrNull(row.cost_usd)),
  };
}

/** toEntry of a row read as an array (see LogRowArray). */
export function entryOfRow(row: LogRowArray): UsageLogEntry {
  return toEntry({
    id: row[0],
    created_at: row[1],
    token_id: row[2],
    token_name: row[3],
    model: row[4],
    endpoint: row[5],
    stream: row[6],
    status_code: row[7],
    response_time_ms: row[8],
    ttft_ms: row[9],
    prompt_tokens: row[10],
    completion_tokens: row[11],
    error_message: row[12],
    usage_estimated: row[13],
    cost_usd: row[14],
  } as LogRow);
}

/** One page's statement; `walk`: PostgreSQL must run it with the ordered walk's settings (see walkInOrder). */
interface LogStatement {
  sql: string;
  values: unknown[];
  walk: boolean;
}

const STATUS_TERM: Record<'success' | 'error', string> = {
  success: 'l.status_code >= 200 AND l.status_code < 300',
  error: '(l.status_code < 200 OR l.status_code >= 300)',
};

const COLUMNS = `l.id, l.created_at, l.token_id, t.name AS token_name, l.model, l.endpoint, l.stream, l.status_code,
  l.response_time_ms, l.ttft_ms, l.prompt_tokens, l.completion_tokens, l.error_message, l.usage_estimated, l.cost_usd`;

/**
 * The request log: raw usage rows newest first, (created_at, id) descending, paged with a
 * keyset cursor so a page costs the same however deep it is and rows arriving meanwhile
 * neither repeat nor shift later pages. Each filter has an index ending in (created_at, id)
 * (UsageLogSearch1764500000007), read in order, the other filters checked along the way.
 * A status class and a text search are several such ordered reads ("arms", see log-arms.ts)
 * whose first pages are merged; a text search re-checks every candidate with the LIKE the
 * log always used, so the answer is the one the plain scan gives.
 */
@Injectable()
export class UsageLogService {
  /** See FTS_FEW; tests lower it to take both ways on a small log. */
  ftsFew = FTS_FEW;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(query: UsageLogPageQuery, scope: UsageScope, now: number = Date.now()): Promise<UsageLogPage> {
    const limit = query.limit ?? DEFAULT_LOG_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LIMIT) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_LOG_LIMIT}, got ${limit}`);
    }
    const after = query.cursor ? decodeLogCursor(query.cursor) : null;
    // One row more than asked tells whether another page exists.
    const rows = await this.select(query, scope, now, after, limit + 1);
    const logs = rows.slice(0, limit);
    const last = logs[logs.length - 1];
    return {
      logs,
      next_cursor: rows.length > limit && last ? encodeLogCursor({ createdAt: Date.parse(last.created_at), id: last.id }) : null,
    };
  }

  /**
   * Every row the filter selects, newest first, in pages of `pageSize`: one short query per
   * page, asked for only when the consumer wants more (a stream's back-pressure holds it).
   */
  async *pages(filter: UsageLogFilter, scope: UsageScope, now: number = Date.now(), pageSize: number = LOG_EXPORT_PAGE): AsyncGenerator<UsageLogEntry[]> {
    let after: LogCursor | null = null;
    for (;;) {
      const rows = await this.select(filter, scope, now, after, pageSize);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { createdAt: Date.parse(last.created_at), id: last.id };
    }
  }

  /**
   * pages() as the engine's rows, arrays in LogRowArray's column order, LOG_ROW_PAGE at a
   * time: the same statements, filters and order, for callers that write millions of rows
   * (the export) and would spend more on row objects and Log entries than on the rows.
   */
  async *rowPages(filter: UsageLogFilter, scope: UsageScope, now: number = Date.now(), pageSize: number = LOG_ROW_PAGE): AsyncGenerator<LogRowArray[]> {
    let after: LogCursor | null = null;
    for (;;) {
      const statement = await this.statement(filter, scope, now, after, pageSize);
      const rows = statement ? await queryArrays(this.dataSource, statement.sql, statement.values, statement.walk) : [];
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { createdAt: num(last[1]), id: num(last[0]) };
    }
  }

  /**
   * On PostgreSQL, the CSV export of what rowPages() reads as COPY statements that write
   * csvRowWriter's records (usage-export-copy.ts), one per time slice, newest first, made as
   * they are asked for: the slices are disjoint ranges of created_at, so their records one
   * after the other are the export's, in (created_at, id) descending order. Each slice is one
   * statement without LIMIT (its own snapshot, as each page of rowPages() is) over about
   * `sliceRows` rows of the log (of all rows: the filter's are as many or fewer), its lower
   * end found in the time index (sliceStart). Null on SQLite, and when a row's time is
   * outside what the COPY's ISO text covers.
   */
  async csvCopy(filter: UsageLogFilter, scope: UsageScope, now: number = Date.now(), sliceRows: number = SLICE_ROWS): Promise<CsvCopy | null> {
    const ds = this.dataSource;
    if (!isPostgres(ds)) return null;
    const since = filter.days !== undefined ? usageWindow(filter.days, now).since : null;
    const [span] = await ds.query<Array<{ lo: string | null; hi: string | null }>>(
      `SELECT MIN(created_at) AS lo, MAX(created_at) AS hi FROM usage_logs${since === null ? '' : ' WHERE created_at >= $1'}`,
      since === null ? [] : [since],
    );
    if (span && span.lo !== null && span.hi !== null && (Number(span.lo) < COPY_TIME_RANGE.min || Number(span.hi) > COPY_TIME_RANGE.max)) return null;
    const slices = async function* (this: UsageLogService): AsyncGenerator<string> {
      // The newest slice has no upper bound (rows arriving meanwhile, as the first page would see them), the oldest no lower one.
      let before: number | undefined;
      for (let k = 0; ; k++) {
        const from = await this.sliceStart(before, since, k === 0 ? Math.ceil(sliceRows / 10) : sliceRows);
        const range = { before, from: from ?? undefined };
        const statement = await this.statement(filter, scope, now, null, null, { columns: COPY_CSV_COLUMNS, range, plain: true });
        if (!statement) return;
        yield `COPY (${inlineParameters(statement.sql, statement.values)}) TO STDOUT (FORMAT csv)`;
        if (from === null) return;
        before = from;
      }
    };
    const options = ds.options as { url?: string; extra?: { connectionTimeoutMillis?: number } };
    return { config: { connectionString: options.url, connectionTimeoutMillis: options.extra?.connectionTimeoutMillis }, statements: slices.call(this) };
  }

  /**
   * The created_at `rows` rows of the log below `before` (newest first, within the window),
   * read from IDX_usage_logs_time alone; null when fewer rows are left. Strictly below
   * `before`, so each slice holds rows, and rows of one millisecond are never split.
   */
  private async sliceStart(before: number | undefined, since: number | null, rows: number): Promise<number | null> {
    const p = SqlParams.for(this.dataSource);
    const where = [before === undefined ? null : `created_at < ${p.add(before)}`, since === null ? null : `created_at >= ${p.add(since)}`].filter(
      (t) => t !== null,
    );
    const sql = `SELECT created_at FROM usage_logs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT 1 OFFSET ${p.add(rows)}`;
    const [row] = await this.dataSource.query<Array<{ created_at: number | string }>>(sql, p.values);
    return row ? Number(row.created_at) : null;
  }

  /** The index of each equality filter, led by user_id when the owner's term is in the query (see rarestIndex). */
  private keyIndexes(filter: UsageLogFilter, owner: UsageScope): KeyIndex[] {
    const mine: KeyIndex['key'] = owner === 'all' ? [] : [['user_id', owner.userId]];
    const led = (column: string) => `IDX_usage_logs_${owner === 'all' ? '' : 'user_'}${column}_time`;
    const indexes: KeyIndex[] = [];
    if (filter.tokenId !== undefined) {
      indexes.push(
        filter.model === undefined
          ? { name: 'IDX_usage_logs_token_time', key: [['token_id', filter.tokenId]] }
          : {
              name: 'IDX_usage_logs_token_model_time',
              key: [
                ['token_id', filter.tokenId],
                ['model', filter.model],
              ],
            },
      );
    } else if (filter.model !== undefined) indexes.push({ name: led('model'), key: [...mine, ['model', filter.model]] });
    if (filter.endpoint !== undefined) indexes.push({ name: led('endpoint'), key: [...mine, ['endpoint', filter.endpoint]] });
    if (typeof filter.status === 'number') indexes.push({ name: led('status'), key: [...mine, ['status_code', filter.status]] });
    return indexes;
  }

  private async select(filter: UsageLogFilter, scope: UsageScope, now: number, after: LogCursor | null, limit: number): Promise<UsageLogEntry[]> {
    const statement = await this.statement(filter, scope, now, after, limit);
    if (!statement) return [];
    const { sql, values, walk } = statement;
    const rows = await (walk ? this.walkInOrder(sql, values) : this.dataSource.query<LogRow[]>(sql, values));
    return rows.map(toEntry);
  }

  /**
   * The statement of one page, newest first after `after`; null when no row can match.
   * `limit` null: every row (csvCopy's slices, PostgreSQL's LIMIT NULL); `columns`: another select list over the same
   * `l` and `t` (COPY_CSV_COLUMNS); `range`: only rows of that created_at range. `plain`: one
   * WHERE with every filter as a predicate, no arms (which only find a first page fast; a
   * slice without LIMIT reads every match in index order anyway).
   */
  private async statement(
    filter: UsageLogFilter,
    scope: UsageScope,
    now: number,
    after: LogCursor | null,
    limit: number | null,
    { columns = COLUMNS, range = {}, plain = false }: { columns?: string; range?: TimeRange; plain?: boolean } = {},
  ): Promise<LogStatement | null> {
    const ds = this.dataSource;
    if (filter.tokenId !== undefined && !(await tokenInScope(ds, filter.tokenId, scope))) return null;
    const q = filter.q ?? '';
    // A status class alone is read per code; beside an equality filter, that filter's index
    // reads fewer rows (a class holds most rows or a few per cent of each value's).
    const byCode =
      !plain &&
      (filter.status === 'success' || filter.status === 'error') &&
      q === '' &&
      filter.model === undefined &&
      filter.endpoint === undefined &&
      filter.tokenId === undefined;
    let arms: Arm[] = [PLAIN];
    if (q !== '' && indexableQ(q) && !plain) arms = await textArms(ds, q, scope, { model: filter.model, tokenId: filter.tokenId, few: this.ftsFew });
    else if (byCode && filter.status !== undefined && typeof filter.status !== 'number') arms = await statusArms(ds, filter.status, scope);
    if (arms.length === 0) return null;
    // A token in the scope (checked above) has only its owner's rows: the token's index alone reads them.
    const ownerTerm = scope !== 'all' && filter.tokenId === undefined;
    // The terms every arm shares: scope, filters, cursor. A status class read per code is in the arms.
    const shared = (p: SqlParams): string[] => {
      const where: string[] = [];
      if (ownerTerm) where.push(`l.user_id = ${p.add(scope.userId)}`);
      if (filter.tokenId !== undefined) where.push(`l.token_id = ${p.add(filter.tokenId)}`);
      if (filter.days !== undefined) where.push(`l.created_at >= ${p.add(usageWindow(filter.days, now).since)}`);
      if (range.from !== undefined) where.push(`l.created_at >= ${p.add(range.from)}`);
      if (range.before !== undefined) where.push(`l.created_at < ${p.add(range.before)}`);
      if (filter.model !== undefined) where.push(`l.model = ${p.add(filter.model)}`);
      if (filter.endpoint !== undefined) where.push(`l.endpoint = ${p.add(filter.endpoint)}`);
      if (typeof filter.status === 'number') where.push(`l.status_code = ${p.add(filter.status)}`);
      else if (filter.status !== undefined && !byCode) where.push(STATUS_TERM[filter.status]);
      if (q !== '' && (plain || !indexableQ(q))) {
        // Too short for trigrams, or a slice read whole: the plain scan. LOWER() on both sides, by the same engine:
        // PostgreSQL's LIKE is case-sensitive, and each engine folds case its own way (SQLite:
        // ASCII letters only), so text always matches itself and differs in case only where
        // the engine can fold it. Every indexed path re-checks with this very predicate.
        where.push(`(${likeTerm(p, 'l.model', q)} OR ${likeTerm(p, 't.name', q)} OR ${likeTerm(p, 'l.error_message', q)})`);
      }
      if (after) {
        // (created_at, id) < (cursor): the first term is an index range, the second trims ties.
        where.push(`l.created_at <= ${p.add(after.createdAt)} AND (l.created_at < ${p.add(after.createdAt)} OR l.id < ${p.add(after.id)})`);
      }
      return where;
    };
    const chosen = arms[0] === PLAIN && !isPostgres(ds) ? await rarestIndex(ds, this.keyIndexes(filter, ownerTerm ? scope : 'all')) : null;
    const from = (arm: Arm) => {
      if (chosen) return `usage_logs l INDEXED BY ${chosen}`;
      if (!arm.messageWalk || filter.tokenId !== undefined || isPostgres(ds)) return 'usage_logs l';
      return `usage_logs l INDEXED BY ${ownerTerm ? 'IDX_usage_logs_user_message_time' : 'IDX_usage_logs_message_time'}`;
    };
    const p = SqlParams.for(ds);
    const order = 'ORDER BY l.created_at DESC, l.id DESC';
    const whereOf = (terms: string[]) => (terms.length ? `WHERE ${terms.join(' AND ')}` : '');
    let sql: string;
    if (arms.length === 1) {
      sql = `SELECT ${columns} FROM ${from(arms[0])} LEFT JOIN api_tokens t ON t.id = l.token_id ${whereOf([...shared(p), ...arms[0].terms(p)])} ${order} LIMIT ${p.add(limit)}`;
    } else {
      // Each arm's first `limit` rows hold the merged page's: merge them, then read the page's rows.
      const parts = arms.map(
        (arm, i) =>
          `SELECT s${i}.id, s${i}.created_at FROM (SELECT l.id, l.created_at FROM ${from(arm)} ${whereOf([...shared(p), ...arm.terms(p)])} ${order} LIMIT ${p.add(limit)}) s${i}`,
      );
      sql = `SELECT ${columns} FROM usage_logs l LEFT JOIN api_tokens t ON t.id = l.token_id
        WHERE l.id IN (SELECT u.id FROM (${parts.join(' UNION ')}) u ORDER BY u.created_at DESC, u.id DESC LIMIT ${p.add(limit)}) ${order}`;
    }
    return { sql, values: p.values, walk: isPostgres(ds) && arms.some((a) => a.messageWalk) };
  }

  /**
   * PostgreSQL cannot estimate how many rows a substring LIKE keeps and guesses few: it would
   * gather every row with a message (or scan the table) and sort. The walk is taken only when
   * the matches are known to be many, so the statement is told to read an index in order.
   */
  private walkInOrder(sql: string, values: unknown[]): Promise<LogRow[]> {
    return this.dataSource.transaction(async (m) => {
      for (const setting of WALK_SETTINGS) await m.query(`SET LOCAL ${setting} = off`);
      return m.query<LogRow[]>(sql, values);
    });
  }
}
