import { ConfigError } from './config-error';

type Plain = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Typed reads from one JSON object of a config file. Every failure names the file and the
 * full key path (`dashboard.port`) and says what was expected and what was found; keys the
 * reader does not know are refused, so a typo cannot silently fall back to a default.
 */
export class ObjectReader {
  private constructor(
    private readonly file: string,
    private readonly prefix: string,
    private readonly value: Plain,
  ) {}

  static root(file: string, value: unknown, known: readonly string[] | null): ObjectReader {
    if (!isPlainObject(value)) {
      throw new ConfigError(file, null, `expected a JSON object at the top level, found ${describe(value)}`);
    }
    const reader = new ObjectReader(file, '', value);
    if (known) reader.refuseUnknown(known);
    return reader;
  }

  keyPath(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  keys(): string[] {
    return Object.keys(this.value);
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  fail(key: string, problem: string): never {
    throw new ConfigError(this.file, this.keyPath(key), problem);
  }

  private refuseUnknown(known: readonly string[]): void {
    for (const key of Object.keys(this.value)) {
      if (!known.includes(key)) {
        this.fail(key, `unknown key; expected one of: ${known.join(', ')}`);
      }
    }
  }

  section(key: string, known: readonly string[] | null): ObjectReader {
    const value = this.value[key];
    if (value === undefined) return new ObjectReader(this.file, this.keyPath(key), {});
    if (!isPlainObject(value)) this.fail(key, `expected an object, found ${describe(value)}`);
    const reader = new ObjectReader(this.file, this.keyPath(key), value);
    if (known) reader.refuseUnknown(known);
    return reader;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.value[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(key, `expected true or false, found ${describe(value)}`);
    return value;
  }

  string(key: string, fallback: string, opts: { nonEmpty?: boolean } = {}): string {
    const value = this.value[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string') this.fail(key, `expected a string, found ${describe(value)}`);
    if (opts.nonEmpty && value.trim() === '') this.fail(key, 'expected a non-empty string');
    return value;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    const value = this.value[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.fail(key, `expected a whole number from ${min} to ${max}, found ${describe(value)}`);
    }
    if (value < min || value > max) this.fail(key, `expected a whole number from ${min} to ${max}, found ${value}`);
    return value;
  }

  /** A number (fractions allowed) from min to max. */
  number(key: string, fallback: number, min: number, max: number): number {
    const value = this.value[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(key, `expected a number from ${min} to ${max}, found ${describe(value)}`);
    }
    return value;
  }

  /** An array of strings, each checked by `check` (which returns a problem or null). */
  stringList(key: string, fallback: readonly string[], check: (item: string) => string | null = () => null): string[] {
    const value = this.value[key];
    if (value === undefined) return [...fallback];
    if (!Array.isArray(value)) this.fail(key, `expected an array of strings, found ${describe(value)}`);
    return value.map((item: unknown, i) => {
      if (typeof item !== 'string') this.fail(`${key}[${i}]`, `expected a string, found ${describe(item)}`);
      const problem = check(item);
      if (problem) this.fail(`${key}[${i}]`, problem);
      return item;
    });
  }

  /** An array of strings; each one non-empty. */
  strings(key: string, fallback: readonly string[]): string[] {
    return this.stringList(key, fallback, (item) => (item.trim() === '' ? `expected a non-empty string, found ${describe(item)}` : null));
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.value[key];
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(key, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, found ${value === undefined ? 'nothing' : describe(value)}`);
    }
    return value as T;
  }
}
