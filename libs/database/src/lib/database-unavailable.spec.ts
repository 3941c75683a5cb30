import { DatabaseOutageLog, isDatabaseUnavailable, OUTAGE_REMINDER_MS } from './database-unavailable';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['connection reset', withCode('ECONNRESET', 'read ECONNRESET')],
    ['pool exhausted / connect timeout', new Error('timeout exceeded when trying to connect')],
    ['client-side query timeout', new Error('Query read timeout')],
    ['lost connection', new Error('Connection terminated unexpectedly')],
    ['statement_timeout', withCode('57014', 'canceling statement due to statement timeout')],
    ['server shutting down', withCode('57P01', 'terminating connection due to administrator command')],
    ['too many connections', withCode('53300', 'sorry, too many clients already')],
    ['connection exception class 08', withCode('08006', 'connection failure')],
    ['SQLite busy past the busy timeout', withCode('SQLITE_BUSY', 'database is locked')],
    ['SQLite I/O error (extended code)', withCode('SQLITE_IOERR_WRITE', 'disk I/O error')],
    ['wrapped by TypeORM', Object.assign(new Error('query failed'), { driverError: withCode('ECONNRESET') })],
    ['as a cause', new Error('outer', { cause: withCode('ETIMEDOUT') })],
    ['inside an AggregateError', new AggregateError([withCode('ECONNREFUSED')], 'all attempts failed')],
  ])('%s: yes', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a syntax error', withCode('42601', 'syntax error at or near "SELEC"')],
    ['a unique violation', withCode('23505', 'duplicate key value violates unique constraint')],
    ['a SQLite constraint', withCode('SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ])('%s: no', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describe('DatabaseOutageLog', () => {
  it('logs the first failure, then one reminder a minute with the count, and the recovery once', () => {
    let now = 1_000_000;
    const lines: string[] = [];
    const log = new DatabaseOutageLog({ warn: (m) => lines.push(`warn ${m}`), log: (m) => lines.push(`log ${m}`) }, () => now);
    for (let i = 0; i < 1000; i++) log.failed('token lookup', new Error('connect ECONNREFUSED'));
    expect(lines).toEqual(['warn database unavailable (token lookup): connect ECONNREFUSED']);
    expect(log.down).toBe(true);

    now += OUTAGE_REMINDER_MS;
    log.failed('usage batch', new Error('Query read timeout'));
    log.failed('usage batch', new Error('Query read timeout'));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('warn database still unavailable after 60 s, 1001 failures so far; last (usage batch): Query read timeout');

    log.recovered();
    log.recovered();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('log database reachable again after 60 s (1002 failures meanwhile)');
    expect(log.down).toBe(false);

    log.failed('token lookup', new Error('again'));
    expect(lines).toHaveLength(4);
  });
});
