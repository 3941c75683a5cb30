import { Logger } from '@nestjs/common';

/** Node socket errors that mean the database server cannot be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EHOSTDOWN',
]);

/**
 * PostgreSQL SQLSTATEs of an unavailable server rather than a bad query: class 08 (connection
 * exception), 53300 too many connections, 57014 query cancelled (our statement_timeout),
 * 57P01–57P05 (shutdown, crash recovery, cannot connect now, idle session timeout).
 */
const PG_STATES = /^(08...|53300|57014|57P0[1-5])$/;

/** SQLite result codes (extended ones start with these) of a database that cannot serve now. */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|PROTOCOL|FULL)/;

/**
 * Messages without a code: node-postgres's pool and client timeouts and lost connections,
 * TypeORM's "not connected" after the pool was torn down.
 */
const MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /query read timeout/i,
  /connection terminated/i,
  /connection (was )?(closed|lost|ended)/i,
  /not queryable/i,
  /client was closed/i,
  /cannot use a pool after calling end/i,
  /connection is not established/i,
  /database is locked/i,
];

/** The error itself, then what it wraps (TypeORM's driverError, `cause`, AggregateError's errors). */
function* chain(err: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 4 || typeof err !== 'object' || err === null) return;
  const e = err as Record<string, unknown>;
  yield e;
  yield* chain(e['driverError'], depth + 1);
  yield* chain(e['cause'], depth + 1);
  if (Array.isArray(e['errors'])) for (const inner of e['errors']) yield* chain(inner, depth + 1);
}

/**
 * True when `err` says the database cannot be used at the moment (unreachable, reset, timed
 * out, pool exhausted, busy past the busy timeout, shutting down), as opposed to a query the
 * database refused. Such failures are answered 503, not 500, and logged once per outage.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    const code = typeof e['code'] === 'string' ? e['code'] : '';
    if (NETWORK_CODES.has(code) || PG_STATES.test(code) || SQLITE_CODES.test(code)) return true;
    const name = typeof e['name'] === 'string' ? e['name'] : '';
    if (name === 'ConnectionIsNotSetError' || name === 'CannotExecuteNotConnectedError') return true;
    const message = typeof e['message'] === 'string' ? e['message'] : '';
    if (MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** The message of the 503 both servers send while the database is unavailable. */
export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable at the moment; try again shortly.';

/** How often an outage that goes on is logged again (with the count of failures meanwhile). */
export const OUTAGE_REMINDER_MS = 60_000;

export interface OutageLogger {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * Logs a database outage once, not once per request: the first failure is logged with its
 * message, then at most one reminder per OUTAGE_REMINDER_MS with the number of failures since;
 * `recovered()` (called by whoever sees the database answer again) logs the end of it.
 */
export class DatabaseOutageLog {
  private since: number | null = null;
  private lastLogged = 0;
  private failures = 0;

  constructor(
    private readonly logger: OutageLogger,
    private readonly now: () => number = Date.now,
  ) {}

  get down(): boolean {
    return this.since !== null;
  }

  failed(what: string, err: unknown): void {
    const now = this.now();
    this.failures += 1;
    const message = err instanceof Error ? err.message : String(err);
    if (this.since === null) {
      this.since = now;
      this.lastLogged = now;
      this.failures = 1;
      this.logger.warn(`database unavailable (${what}): ${message}`);
    } else if (now - this.lastLogged >= OUTAGE_REMINDER_MS) {
      this.lastLogged = now;
      this.logger.warn(
        `database still unavailable after ${Math.round((now - this.since) / 1000)} s, ${this.failures} failures so far; last (${what}): ${message}`,
      );
    }
  }

  recovered(): void {
    if (this.since === null) return;
    this.logger.log(`database reachable again after ${Math.round((this.now() - this.since) / 1000)} s (${this.failures} failures meanwhile)`);
    this.since = null;
    this.failures = 0;
  }
}

/** The process's one outage log: the proxy's token lookups, its usage recorder and both error filters share it. */
export const databaseOutage = new DatabaseOutageLog(new Logger('Database'));
