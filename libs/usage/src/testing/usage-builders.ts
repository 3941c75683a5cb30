import { ApiTokenEntity, authEntities, UserEntity } from '@lmarena-bridge/auth';
import type { AppConfig, UsageConfig } from '@lmarena-bridge/config';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import type { TestDatabase } from '@lmarena-bridge/database/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { UsageDailyEntity, usageEntities, UsageLogEntity } from '../lib/entities';
import type { UsageRow } from '../lib/recorder/usage-row';
import { inKeyOrder, RollupRecord, rollupRecord, RollupTableName } from './rollup-fixtures';

/** 2025-03-14 12:00:00.000 UTC: a fixed instant, so day numbers in the tests are known. */
export const NOON = Date.UTC(2025, 2, 14, 12);

/** One finished request as the interceptor hands it over; every field can be overridden. */
export function aUsageRow(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    createdAt: NOON,
    userId: 1,
    tokenId: 1,
    model: 'echo',
    endpoint: '/v1/chat/completions',
    stream: false,
    statusCode: 200,
    responseTimeMs: 120,
    ttftMs: null,
    promptTokens: 3,
    completionTokens: 5,
    errorMessage: null,
    usageEstimated: false,
    costUsd: null,
    ...overrides,
  };
}

let spoolRoot: string | null = null;

/** A new, empty spool folder under one temp folder of this test process, removed when it exits. */
export function aSpoolDir(): string {
  if (!spoolRoot) {
    const root = mkdtempSync(join(tmpdir(), 'lmb-spool-'));
    spoolRoot = root;
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return mkdtempSync(join(spoolRoot, 's-'));
}

/** The recorder reads only `usage` from the configuration; each call gets its own spool folder. */
export function aUsageConfig(usage: Partial<UsageConfig> = {}): AppConfig {
  return {
    usage: { retention_days: 90, batch_size: 500, flush_interval_ms: 60_000, max_queue: 50_000, spool_dir: aSpoolDir(), ...usage },
  } as unknown as AppConfig;
}

/**
 * Resolves once `condition` holds, checking after each turn of the event loop (and a short
 * pause); fails after `limitMs` with `what` so a broken test does not hang. The limit is a
 * safety net, never the thing under test.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let seq = 0;

/** A token owner: the users row and one api_tokens row. */
export interface Owner {
  userId: number;
  tokenId: number;
}

/** A migrated temp database with the auth and usage tables, and readers for what the recorder wrote. */
export interface UsageTestDatabase {
  dataSource: DataSource;
  /** A new user with one token (`last_used_at` as given, default null). */
  anOwner(opts?: { lastUsedAt?: number | null }): Promise<Owner>;
  /** A second token of an existing user. */
  aToken(userId: number, opts?: { lastUsedAt?: number | null }): Promise<number>;
  logs(tokenId: number): Promise<UsageLogEntity[]>;
  daily(tokenId: number): Promise<UsageDailyEntity[]>;
  /** The user's latency histogram rows (usage_day_latency), in key order. */
  latency(userId: number): Promise<Array<{ day: number; bucket: number; count: number }>>;
  /** Every row of a rollup table (usage_day_status, usage_month_model, …) of the user, in key order, counters as numbers. */
  rollup(table: RollupTableName, userId: number): Promise<RollupRecord[]>;
  lastUsedAt(tokenId: number): Promise<number | null>;
  close(): Promise<void>;
}

export async function openUsageTestDatabase(create: () => Promise<TestDatabase>): Promise<UsageTestDatabase> {
  const db = await create();
  const dataSource = await openDatabase(createDataSource(db.target, [...authEntities, ...usageEntities])).catch(async (err: unknown) => {
    await db.drop();
    throw err;
  });
  const readRollup = async (table: RollupTableName, userId: number): Promise<RollupRecord[]> => {
    const rows: Array<Record<string, unknown>> = await dataSource.query(
      `SELECT * FROM ${table} WHERE user_id = ${dataSource.options.type === 'postgres' ? '$1' : '?'}`,
      [userId],
    );
    return inKeyOrder(table, rows.map(rollupRecord));
  };
  const users = dataSource.getRepository(UserEntity);
  const tokens = dataSource.getRepository(ApiTokenEntity);
  const aToken = async (userId: number, opts: { lastUsedAt?: number | null } = {}) => {
    const n = ++seq;
    const token = await tokens.save(
      tokens.create({
        userId,
        name: `token ${n}`,
        tokenHash: n.toString(16).padStart(64, '0'),
        hint: `sk-lmarena-…${String(n).padStart(4, '0')}`,
        limits: null,
        createdAt: new Date(NOON - 86_400_000),
        lastUsedAt: opts.lastUsedAt == null ? null : new Date(opts.lastUsedAt),
        expiresAt: null,
        revokedAt: null,
      }),
    );
    return token.id;
  };
  return {
    dataSource,
    aToken,
    anOwner: async (opts) => {
      const n = ++seq;
      const now = new Date();
      const user = await users.save(
        users.create({
          username: `usage${n}`,
          email: `usage${n}@example.com`,
          passwordHash: '$2b$12$placeholder.hash.never.compared.in.these.tests.xxxxxx',
          role: 'user',
          disabled: false,
          createdAt: now,
          updatedAt: now,
          lastLoginAt: null,
        }),
      );
      return { userId: user.id, tokenId: await aToken(user.id, opts) };
    },
    logs: (tokenId) => dataSource.getRepository(UsageLogEntity).find({ where: { tokenId }, order: { id: 'ASC' } }),
    daily: (tokenId) => dataSource.getRepository(UsageDailyEntity).find({ where: { tokenId } }),
    latency: async (userId) =>
      (await readRollup('usage_day_latency', userId)).map((r) => ({ day: Number(r['day']), bucket: Number(r['bucket']), count: Number(r['count']) })),
    rollup: readRollup,
    lastUsedAt: async (tokenId) => (await tokens.findOneByOrFail({ id: tokenId })).lastUsedAt?.getTime() ?? null,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    },
  };
}
