import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseTarget } from '@lmarena-bridge/config';
import { Client } from 'pg';

/** A database made for one test run and removed after it. */
export interface TestDatabase {
  name: string;
  target: DatabaseTarget;
  /** The URL form, for DATABASE_URL of spawned servers. */
  url: string;
  drop(): Promise<void>;
}

export function tempSqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'lmb-db-'));
  const path = join(dir, 'dashboard.db');
  return {
    name: 'sqlite',
    target: { type: 'sqlite', path },
    url: `sqlite:${path}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Creates a uniquely named PostgreSQL database next to TEST_DATABASE_URL's and drops it
 * afterwards (terminating leftover connections), so runs never see each other's data.
 */
export async function tempPostgresDatabase(baseUrl: string): Promise<TestDatabase> {
  const name = `lmb_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    target: { type: 'postgres', url: url.toString() },
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * The databases an integration suite runs on: always a temp SQLite file, plus PostgreSQL
 * when TEST_DATABASE_URL is set. Without it the PostgreSQL run is announced as skipped,
 * loudly, never silently.
 */
export function testDatabaseKinds(): Array<{ kind: 'sqlite' | 'postgres'; create: () => Promise<TestDatabase> }> {
  const kinds: Array<{ kind: 'sqlite' | 'postgres'; create: () => Promise<TestDatabase> }> = [{ kind: 'sqlite', create: async () => tempSqliteDatabase() }];
  const pgUrl = process.env['TEST_DATABASE_URL'];
  if (pgUrl) {
    kinds.push({ kind: 'postgres', create: () => tempPostgresDatabase(pgUrl) });
  } else {
    process.stdout.write('\n*** PostgreSQL suite skipped: set TEST_DATABASE_URL (e.g. postgres://root@127.0.0.1:5432/test) ***\n\n');
  }
  return kinds;
}
