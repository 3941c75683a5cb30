import { createDataSource, openDatabase, sqliteHandle } from '@lmarena-bridge/database';
import type { TestDatabase } from '@lmarena-bridge/database/testing';
import { DataSource } from 'typeorm';
import { AuthChange, AuthChangeNotifier } from '../lib/auth-change-notifier';
import { readAuthEpoch } from '../lib/auth-epoch';
import { authEntities, UserEntity } from '../lib/entities';

let seq = 0;

/**
 * A users row for tests that never log in: the password hash is a placeholder, so no
 * bcrypt work is spent.
 */
export function aUserRow(overrides: Partial<UserEntity> = {}): Partial<UserEntity> {
  const n = ++seq;
  const now = new Date();
  return {
    username: `user${n}`,
    email: `user${n}@example.com`,
    passwordHash: '$2b$12$placeholder.hash.never.compared.in.these.tests.xxxxxx',
    role: 'user',
    disabled: false,
    createdAt: now,
    updatedAt: now,
    lastLoginAt: null,
    ...overrides,
  };
}

/** A migrated temp database (SQLite or PostgreSQL) with the auth entities, and a way to add users. */
export interface AuthTestDatabase {
  dataSource: DataSource;
  insertUser(overrides?: Partial<UserEntity>): Promise<UserEntity>;
  close(): Promise<void>;
}

export async function openAuthTestDatabase(create: () => Promise<TestDatabase>): Promise<AuthTestDatabase> {
  const db = await create();
  const dataSource = await openDatabase(createDataSource(db.target, authEntities)).catch(async (err: unknown) => {
    await db.drop();
    throw err;
  });
  const users = dataSource.getRepository(UserEntity);
  return {
    dataSource,
    insertUser: (overrides) => users.save(users.create(aUserRow(overrides))),
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    },
  };
}

/**
 * Makes every insert into audit_events fail (a trigger raising an error), until the returned
 * function is called: a change whose audit line cannot be written must leave nothing behind,
 * which shows the audit line, the change and the epoch bump share one transaction.
 */
export async function refuseAuditWrites(dataSource: DataSource): Promise<() => Promise<void>> {
  if (dataSource.options.type === 'postgres') {
    await dataSource.query(`CREATE FUNCTION lmb_refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql`);
    await dataSource.query('CREATE TRIGGER lmb_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION lmb_refuse_audit()');
    return async () => {
      await dataSource.query('DROP TRIGGER lmb_refuse_audit ON audit_events');
      await dataSource.query('DROP FUNCTION lmb_refuse_audit()');
    };
  }
  await dataSource.query(`CREATE TRIGGER lmb_refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END`);
  return async () => {
    await dataSource.query('DROP TRIGGER lmb_refuse_audit');
  };
}

/** What a notifier call saw: the change, and whether the change's transaction had committed by then. */
export interface HeardChange {
  change: AuthChange;
  /** The auth epoch as another connection (PostgreSQL) or the one connection outside any transaction (SQLite) reads it. */
  committedEpoch: number;
  inTransaction: boolean;
}

/** A notifier that writes down what it is told and what was committed at that moment. */
export class RecordingNotifier extends AuthChangeNotifier {
  readonly heard: HeardChange[] = [];
  fail: Error | null = null;

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async changed(change: AuthChange): Promise<void> {
    // PostgreSQL: dataSource.query takes another pool connection, which sees committed rows only.
    const inTransaction = sqliteHandle(this.dataSource)?.inTransaction ?? false;
    this.heard.push({ change, committedEpoch: await readAuthEpoch(this.dataSource), inTransaction });
    if (this.fail) throw this.fail;
  }
}
