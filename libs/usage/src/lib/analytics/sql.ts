import { DataSource } from 'typeorm';

/** True when the DataSource talks to PostgreSQL (else SQLite through better-sqlite3). */
export function isPostgres(dataSource: DataSource): boolean {
  return dataSource.options.type === 'postgres';
}

/**
 * Collects the parameters of one hand-written statement and names them in the engine's
 * style: `$1, $2, …` on PostgreSQL, `?` on SQLite. Each `add()` is one placeholder, so a
 * value used twice is added twice (SQLite's `?` cannot be referred to again).
 */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(private readonly postgres: boolean) {}

  static for(dataSource: DataSource): SqlParams {
    return new SqlParams(isPostgres(dataSource));
  }

  add(value: unknown): string {
    this.values.push(value);
    return this.postgres ? `$${this.values.length}` : '?';
  }
}

/** PostgreSQL answers bigint and SUM() as strings; SQLite as numbers. */
export function num(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** A nullable integer column. */
export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** `%text%` for LIKE with `\` as the escape character: `%`, `_` and `\` in text match literally. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
