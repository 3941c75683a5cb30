import { DataSource } from 'typeorm';
import { isPostgres, likeContains, num, SqlParams } from './sql';
import { UsageScope } from './usage-scope';

/**
 * One ordered stream of the request log: extra WHERE terms that, with the page's other
 * terms, one index reads in (created_at DESC, id DESC) order. A page over several arms is
 * the merge of each arm's first page (see UsageLogService), which is exact because every
 * row of the answer is the newest-first prefix of the arm it lies in.
 */
export interface Arm {
  terms: (p: SqlParams) => string[];
  /**
   * The ordered walk over rows with a message, for many matches. SQLite, which plans without
   * statistics, is given its partial index (INDEXED BY), or a model's or an owner's index (more
   * rows per match) may win; PostgreSQL is kept from bitmap scans and sorting (see walkInOrder).
   */
  messageWalk?: true;
}

const arm = (terms: (p: SqlParams) => string[]): Arm => ({ terms });

/** Fewer FTS candidates than this are fetched by id and sorted; more: the ordered walk over rows with a message. */
/** No extra terms: the page's own filters alone. */
export const PLAIN: Arm = arm(() => []);

export const FTS_FEW = 2000;
/** Trigram indexes match substrings of 3 characters or more; shorter text is searched by the plain scan. */
export const MIN_INDEXED_Q = 3;

/** `LOWER(column) LIKE LOWER(%q%)`: the one text predicate of the log on both engines, its meaning unchanged. */
export function likeTerm(p: SqlParams, column: string, q: string): string {
  return `LOWER(${column}) LIKE LOWER(${p.add(likeContains(q))}) ESCAPE '\\'`;
}

/** True when q is long enough for the trigram indexes (in characters, not UTF-16 units). */
export function indexableQ(q: string): boolean {
  return [...q].length >= MIN_INDEXED_Q;
}

/**
 * The distinct values of `column` among the scope's rows, by a skip scan: one index seek per
 * value over (column, …) or (user_id, column, …), instead of reading every row.
 * `matching`: only values whose LOWER() is LIKE %q%, tested by the engine itself.
 */
export async function distinctValues(ds: DataSource, column: 'model' | 'status_code', scope: UsageScope, matching?: string): Promise<unknown[]> {
  const p = SqlParams.for(ds);
  const mine = () => (scope === 'all' ? '' : `l.user_id = ${p.add(scope.userId)} AND `);
  const first = `SELECT l.${column} FROM usage_logs l WHERE ${mine()}l.${column} IS NOT NULL ORDER BY l.${column} LIMIT 1`;
  const next = `SELECT l.${column} FROM usage_logs l WHERE ${mine()}l.${column} > v.x ORDER BY l.${column} LIMIT 1`;
  const filter = matching === undefined ? '' : ` AND ${likeTerm(p, 'v.x', matching)}`;
  const sql = `WITH RECURSIVE v(x) AS (SELECT (${first}) UNION ALL SELECT (${next}) FROM v WHERE v.x IS NOT NULL)
    SELECT v.x AS x FROM v WHERE v.x IS NOT NULL${filter}`;
  const rows = await ds.query<Array<{ x: unknown }>>(sql, p.values);
  return rows.map((r) => r.x);
}

/**
 * Whether the token may have rows in the scope. Rows carry their token owner's user_id (the
 * proxy writes both from the authenticated token, and a token never changes owner), so another
 * owner's token has none: answered from api_tokens instead of reading that token's rows.
 */
export async function tokenInScope(ds: DataSource, tokenId: number, scope: UsageScope): Promise<boolean> {
  if (scope === 'all') return true;
  const p = SqlParams.for(ds);
  const rows = await ds.query<unknown[]>(`SELECT 1 FROM api_tokens WHERE id = ${p.add(tokenId)} AND user_id = ${p.add(scope.userId)}`, p.values);
  return rows.length > 0;
}

/** Tokens whose name contains q (the engine's LOWER LIKE), of the scope's owner when there is one (see tokenInScope). */
async function tokensNamed(ds: DataSource, q: string, scope: UsageScope): Promise<number[]> {
  const p = SqlParams.for(ds);
  // Placeholders in the order of the text: SQLite's `?` are positional.
  const like = likeTerm(p, 't.name', q);
  const owner = scope === 'all' ? '' : ` AND t.user_id = ${p.add(scope.userId)}`;
  const rows = await ds.query<Array<{ id: unknown }>>(`SELECT t.id FROM api_tokens t WHERE ${like}${owner}`, p.values);
  return rows.map((r) => num(r.id));
}

/** The FTS5 phrase of q: every character literal, `"` doubled. */
function ftsPhrase(q: string): string {
  return `"${q.replace(/"/g, '""')}"`;
}

/**
 * Rows with a message containing q. The candidates come from the trigram index first, at most
 * `few` + 1 of them: SQLite's FTS5 table (a superset: its Unicode folding is looser than
 * LOWER's), PostgreSQL's pg_trgm index (the LIKE itself; sequential and plain index scans are
 * switched off for that one statement so the planner cannot walk the log instead). Few are
 * fetched by id, each re-checked with the LIKE; many make the ordered walk over rows with a
 * message find a page soon, so that one is taken, with the LIKE written so that no trigram
 * index serves it (PostgreSQL would otherwise gather every match to sort it).
 */
async function messageArm(ds: DataSource, q: string, few: number): Promise<Arm | null> {
  const like = (p: SqlParams) => ['l.error_message IS NOT NULL', likeTerm(p, 'l.error_message', q)];
  const ids = await messageCandidates(ds, q, few + 1);
  if (ids.length === 0) return null;
  if (ids.length > few) {
    // `LOWER(x) || ''` is LOWER(x) for every row with a message, and matches no index expression.
    const walk = (p: SqlParams) => ['l.error_message IS NOT NULL', `LOWER(l.error_message) || '' LIKE LOWER(${p.add(likeContains(q))}) ESCAPE '\\'`];
    return { terms: walk, messageWalk: true };
  }
  if (isPostgres(ds)) return arm((p) => [`l.id = ANY(${p.add(ids)}::int[])`, ...like(p)]);
  return arm((p) => [`l.id IN (SELECT value FROM json_each(${p.add(JSON.stringify(ids))}))`, ...like(p)]);
}

async function messageCandidates(ds: DataSource, q: string, cap: number): Promise<number[]> {
  if (!isPostgres(ds)) {
    const rows = await ds.query<Array<{ id: number }>>('SELECT rowid AS id FROM usage_logs_fts WHERE usage_logs_fts MATCH ? LIMIT ?', [ftsPhrase(q), cap]);
    return rows.map((r) => r.id);
  }
  return ds.transaction(async (m) => {
    await m.query('SET LOCAL enable_seqscan = off');
    await m.query('SET LOCAL enable_indexscan = off');
    const rows: Array<{ id: unknown }> = await m.query(`SELECT id FROM usage_logs WHERE LOWER(error_message) LIKE LOWER($1) ESCAPE '\\' LIMIT $2`, [
      likeContains(q),
      cap,
    ]);
    return rows.map((r) => num(r.id));
  });
}

/**
 * The arms of a text search: one per model whose name contains q, one per token whose name
 * does, one for messages. `model` / `tokenId`: the page's own filters, which leave only the
 * arms they can match; `few`: see FTS_FEW. Empty: no row can match.
 */
export async function textArms(ds: DataSource, q: string, scope: UsageScope, only: { model?: string; tokenId?: number; few: number }): Promise<Arm[]> {
  const { model, tokenId } = only;
  const models = (await distinctValues(ds, 'model', scope, q)).map(String).filter((m) => model === undefined || m === model);
  const tokens = (await tokensNamed(ds, q, scope)).filter((id) => tokenId === undefined || id === tokenId);
  const arms: Arm[] = [...models.map((m) => arm((p) => [`l.model = ${p.add(m)}`])), ...tokens.map((id) => arm((p) => [`l.token_id = ${p.add(id)}`]))];
  const message = await messageArm(ds, q, only.few);
  if (message) arms.push(message);
  return arms;
}

/** `success` / `error` as one arm per status code of that class stored in the scope, each an index range of its own. */
export async function statusArms(ds: DataSource, status: 'success' | 'error', scope: UsageScope): Promise<Arm[]> {
  const codes = (await distinctValues(ds, 'status_code', scope)).map(num);
  const ok = (code: number) => code >= 200 && code < 300;
  return codes.filter((code) => ok(code) === (status === 'success')).map((code) => arm((p) => [`l.status_code = ${p.add(code)}`]));
}
