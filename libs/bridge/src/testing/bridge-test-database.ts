import { authEntities, UserEntity } from '@lmarena-bridge/auth';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import type { TestDatabase } from '@lmarena-bridge/database/testing';
import { DataSource } from 'typeorm';
import { bridgeEntities } from '../lib/entities';

/** A migrated temp database (SQLite or PostgreSQL) with the auth and bridge entities. */
export interface BridgeTestDatabase {
  dataSource: DataSource;
  /** An admin row for created_by (placeholder password hash: nobody logs in). */
  insertAdmin(): Promise<UserEntity>;
  close(): Promise<void>;
}

let seq = 0;

export async function openBridgeTestDatabase(create: () => Promise<TestDatabase>): Promise<BridgeTestDatabase> {
  const db = await create();
  const dataSource = await openDatabase(createDataSource(db.target, [...authEntities, ...bridgeEntities])).catch(async (err: unknown) => {
    await db.drop();
    throw err;
  });
  const users = dataSource.getRepository(UserEntity);
  return {
    dataSource,
    insertAdmin: () => {
      const n = ++seq;
      const now = new Date();
      return users.save(
        users.create({
          username: `admin${n}`,
          email: `admin${n}@example.com`,
          role: 'admin',
          disabled: false,
          passwordHash: '$2b$12$placeholder.hash.never.compared.in.these.tests.xxxxxx',
          createdAt: now,
          updatedAt: now,
          lastLoginAt: null,
        }),
      );
    },
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    },
  };
}
