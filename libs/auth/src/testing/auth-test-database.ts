import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import type { TestDatabase } from '@lmarena-bridge/database/testing';
import { DataSource } from 'typeorm';
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
