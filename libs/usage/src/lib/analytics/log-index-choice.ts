import { DataSource } from 'typeorm';
import { SqlParams } from './sql';

/** One equality filter's index in keyset order, and the terms that select its key. */
export interface KeyIndex {
  name: string;
  key: Array<[column: string, value: unknown]>;
}

/** Index entries counted per candidate: enough to tell a rare key from a common one, cheap however common. */
export const CHOICE_CAP = 4096;

/**
 * SQLite plans without statistics, so of two equality filters with an index each (a token and
 * an endpoint, a model and a status code) it may walk the common one and test the rare one row
 * by row: a rare or absent combination then reads all of the common value's rows. This counts
 * each candidate's entries up to CHOICE_CAP in one statement (index-only reads) and names the
 * smallest, for INDEXED BY; when every count reaches the cap the first (most selective kind) wins.
 * The answer is the same whichever index reads it: only its cost depends on the choice.
 * PostgreSQL's planner has statistics and picks by itself.
 */
export async function rarestIndex(ds: DataSource, candidates: KeyIndex[]): Promise<string | null> {
  if (candidates.length < 2) return null;
  const p = SqlParams.for(ds);
  const counts = candidates.map((c, i) => {
    const where = c.key.map(([column, value]) => `${column} = ${p.add(value)}`).join(' AND ');
    return `(SELECT COUNT(*) FROM (SELECT 1 FROM usage_logs INDEXED BY ${c.name} WHERE ${where} LIMIT ${CHOICE_CAP})) AS c${i}`;
  });
  const [row] = await ds.query<Array<Record<string, number>>>(`SELECT ${counts.join(', ')}`, p.values);
  let best = 0;
  candidates.forEach((_, i) => {
    if (Number(row[`c${i}`]) < Number(row[`c${best}`])) best = i;
  });
  return candidates[best].name;
}
