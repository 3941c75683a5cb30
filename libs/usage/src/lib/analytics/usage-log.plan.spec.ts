import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aRandomRow, picker, seededRandom } from '../../testing/analytics-fixtures';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS } from '../recorder/usage-row';
import { UsageLogFilter, UsageLogService } from './usage-log.service';
import { UsageScope } from './usage-scope';

const NOW = Date.UTC(2025, 2, 20, 15, 30);

/**
 * The request log reads through an index for every filter, in both scopes: each statement a
 * page runs is explained, and none may read usage_logs without an index (SQLite: a `SCAN l`
 * with no USING; PostgreSQL, told to avoid sequential scans: a Seq Scan on usage_logs). The
 * index each filter is meant to use is named, so a plan that falls back to walking the whole
 * time index and filtering fails too.
 */
describe.each(testDatabaseKinds())('UsageLogService query plans on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  let service: UsageLogService;
  let owner: { userId: number; tokenId: number };
  let statements: Array<{ sql: string; params: unknown[] }>;

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    const recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 500 }));
    owner = await db.anOwner();
    const other = await db.anOwner();
    const pick = picker(seededRandom(3));
    for (let i = 0; i < 400; i++) {
      const fixed = { ...pick.one([owner, other]), createdAt: NOW - pick.int(0, 3 * DAY_MS), model: pick.one(['echo', 'gpt-x', 'Claude 3']) };
      recorder.record(aRandomRow(pick, { ...fixed, endpoint: pick.one(['/v1/chat/completions', '/v1/messages']) }));
    }
    recorder.record(aUsageRow({ ...owner, createdAt: NOW - 5, statusCode: 504, errorMessage: 'upstream TIMEOUT' }));
    await recorder.flush();
    await recorder.beforeApplicationShutdown();
    if (db.dataSource.options.type === 'postgres') await db.dataSource.query('ANALYZE');
    service = new UsageLogService(db.dataSource);
    // Every statement the service runs, to be explained afterwards.
    const query = db.dataSource.query.bind(db.dataSource);
    // (An EntityManager's query() comes here too, with its transaction's runner: passed on.)
    db.dataSource.query = (async (sql: string, params?: unknown[], runner?: Parameters<typeof query>[2]) => {
      statements.push({ sql, params: params ?? [] });
      return query(sql, params, runner);
    }) as typeof db.dataSource.query;
  });
  afterAll(() => db?.close());

  async function explain(sql: string, params: unknown[]): Promise<string> {
    const ds = db.dataSource;
    if (ds.options.type !== 'postgres') {
      const rows: Array<{ detail: string }> = await ds.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      return rows.map((r) => r.detail).join('\n');
    }
    return ds.transaction(async (m) => {
      await m.query('SET LOCAL enable_seqscan = off');
      const rows: Array<{ 'QUERY PLAN': string }> = await m.query(`EXPLAIN ${sql}`, params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  /** The plans of every statement one page of `filter` runs that reads usage_logs. */
  async function plans(filter: UsageLogFilter, scope: UsageScope): Promise<string[]> {
    statements = [];
    await service.page({ ...filter, limit: 100 }, scope, NOW);
    const reads = statements.filter((s) => /\busage_logs\b/.test(s.sql));
    statements = [];
    const explained: string[] = [];
    for (const { sql, params } of reads) explained.push(await explain(sql, params));
    return explained;
  }

  const mine = () => ({ userId: owner.userId });
  // [label, filter, scope, the index that must appear (one of, when the engine may pick)]
  const cases = (): Array<[string, UsageLogFilter, () => UsageScope, RegExp]> => [
    ['no filter', {}, () => 'all', /IDX_usage_logs_time/],
    ['no filter, one owner', {}, mine, /IDX_usage_logs_user_time/],
    ['model', { model: 'echo' }, () => 'all', /IDX_usage_logs_model_time/],
    ['model, one owner', { model: 'echo' }, mine, /IDX_usage_logs_user_model_time/],
    ['absent model', { model: 'none' }, () => 'all', /IDX_usage_logs_model_time/],
    ['endpoint', { endpoint: '/v1/messages' }, () => 'all', /IDX_usage_logs_endpoint_time/],
    ['endpoint, one owner', { endpoint: '/v1/messages' }, mine, /IDX_usage_logs_user_endpoint_time/],
    ['status code', { status: 499 }, () => 'all', /IDX_usage_logs_status_time/],
    ['status code, one owner', { status: 499 }, mine, /IDX_usage_logs_user_status_time/],
    ['status error', { status: 'error' }, () => 'all', /IDX_usage_logs_status_time/],
    ['status error, one owner', { status: 'error' }, mine, /IDX_usage_logs_user_status_time/],
    ['status success', { status: 'success' }, () => 'all', /IDX_usage_logs_status_time/],
    ['status success, one owner', { status: 'success' }, mine, /IDX_usage_logs_user_status_time/],
    ['token', { tokenId: 0 }, () => 'all', /IDX_usage_logs_token_time/],
    ['token, one owner', { tokenId: 0 }, mine, /IDX_usage_logs_token_time/],
    ['model + error', { model: 'echo', status: 'error' }, () => 'all', /IDX_usage_logs_model_time/],
    ['model + error, one owner', { model: 'echo', status: 'error' }, mine, /IDX_usage_logs_user_model_time/],
    ['token + model', { tokenId: 0, model: 'echo' }, () => 'all', /IDX_usage_logs_token_model_time/],
    ['token + model, one owner', { tokenId: 0, model: 'echo' }, mine, /IDX_usage_logs_token_model_time/],
    ['endpoint + model', { endpoint: '/v1/messages', model: 'echo' }, () => 'all', /IDX_usage_logs_(endpoint|model)_time/],
    // The rarer key's index (SQLite counts both; an absent one has no entries).
    ['token + an absent endpoint', { tokenId: 0, endpoint: '/v1/none' }, () => 'all', /IDX_usage_logs_endpoint_time|IDX_usage_logs_token_time/],
    ['model + an absent status, one owner', { model: 'echo', status: 201 }, mine, /IDX_usage_logs_user_(status|model)_time/],
    ['q on a model', { q: 'claude' }, () => 'all', /IDX_usage_logs_model_time/],
    ['q on a model, one owner', { q: 'claude' }, mine, /IDX_usage_logs_user_model_time/],
    ['q on a token name', { q: 'token' }, () => 'all', /IDX_usage_logs_token_time/],
    // SQLite: the FTS candidates by rowid. PostgreSQL picks by its statistics among the
    // trigram index and the partial ones over rows with a message.
    ['q on a message', { q: 'timeout' }, () => 'all', /INTEGER PRIMARY KEY|"PK_\w+" on usage_logs|IDX_usage_logs_(user_)?message_(trgm|time)/],
    ['q on a message, one owner', { q: 'timeout' }, mine, /INTEGER PRIMARY KEY|"PK_\w+" on usage_logs|IDX_usage_logs_(user_)?message_(trgm|time)/],
    ['q + model + error', { q: 'upstream', model: 'echo', status: 'error' }, () => 'all', /IDX_usage_logs_model_time|IDX_usage_logs_message/],
  ];

  it.each(cases())('reads %s through an index', async (_label, filter, scope, index) => {
    const withToken = filter.tokenId === 0 ? { ...filter, tokenId: owner.tokenId } : filter;
    const explained = await plans(withToken, scope());
    expect(explained.length).toBeGreaterThan(0);
    for (const plan of explained) {
      expect(plan).not.toMatch(/\bSCAN (l|usage_logs)\b(?! USING)/);
      expect(plan).not.toMatch(/Seq Scan on usage_logs/);
    }
    expect(explained.join('\n---\n')).toMatch(index);
  });

  it('reads a rare combination through the rarer key (SQLite names it, PostgreSQL estimates it)', async () => {
    const rare = await plans({ tokenId: owner.tokenId, endpoint: '/v1/none' }, 'all');
    const common = await plans({ tokenId: owner.tokenId, status: 201 }, 'all');
    if (db.dataSource.options.type !== 'postgres') {
      expect(rare.join('\n')).toMatch(/USING (COVERING )?INDEX IDX_usage_logs_endpoint_time/);
      expect(common.join('\n')).toMatch(/USING (COVERING )?INDEX IDX_usage_logs_status_time/);
    }
    for (const plan of [...rare, ...common]) expect(plan).not.toMatch(/\bSCAN (l|usage_logs)\b(?! USING)|Seq Scan on usage_logs/);
  });

  it('reads many message candidates by the ordered walk over rows with a message', async () => {
    service.ftsFew = 0;
    try {
      for (const [scope, index] of [
        ['all', /IDX_usage_logs_message_time|IDX_usage_logs_(user_)?message_(trgm|time)"/],
        [mine(), /IDX_usage_logs_user_message_time|IDX_usage_logs_(user_)?message_(trgm|time)"/],
      ] as Array<[UsageScope, RegExp]>) {
        const explained = await plans({ q: 'timeout' }, scope);
        for (const plan of explained) expect(plan).not.toMatch(/\bSCAN (l|usage_logs)\b(?! USING)|Seq Scan on usage_logs/);
        expect(explained.join('\n---\n')).toMatch(index);
      }
    } finally {
      service.ftsFew = 2000;
    }
  });
});
