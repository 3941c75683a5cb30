/**
 * A configuration problem, worded for the person who edits the file: which file, which
 * key (or line and column for a syntax error) and what was expected.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string | null,
    readonly problem: string,
  ) {
    super(`${file}${key ? `: "${key}"` : ''}: ${problem}`);
    this.name = 'ConfigError';
  }
}
