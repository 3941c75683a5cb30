import { AuditActor, bumpAuthEpoch, recordAuditEvent, sha256Hex } from '@lmarena-bridge/auth';
import { runInTransaction } from '@lmarena-bridge/database';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull } from 'typeorm';
import { BridgeKeyEntity } from '../entities/bridge-key.entity';
import type { BridgeKeyView } from '../views';
import { bridgeKeyHint, generateBridgeKey, looksLikeBridgeKey } from './bridge-key-secret';

/** How many ids one activeIds query binds (well under both engines' parameter limits). */
const IDS_PER_QUERY = 500;

export function toBridgeKeyView(k: BridgeKeyEntity): BridgeKeyView {
  return {
    id: k.id,
    name: k.name,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
    revoked_at: k.revokedAt ? k.revokedAt.toISOString() : null,
  };
}

/** Bridge keys: issue, list, revoke, verify. The secret exists only in the creation answer. */
@Injectable()
export class BridgeKeysService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Issues a key; with `audit`, the audit event is written in the same transaction. */
  async create(name: string, createdBy: number | null, now = new Date(), audit?: AuditActor): Promise<{ key: BridgeKeyView; secret: string }> {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (trimmed.length < 1 || trimmed.length > 100) throw new BadRequestException(['name must be 1 to 100 characters']);
    const secret = generateBridgeKey();
    const entity = await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(BridgeKeyEntity);
      const saved = await repo.save(
        repo.create({
          name: trimmed,
          keyHash: sha256Hex(secret),
          hint: bridgeKeyHint(secret),
          createdBy,
          createdAt: now,
          lastUsedAt: null,
          revokedAt: null,
        }),
      );
      if (audit)
        await recordAuditEvent(manager, { action: 'bridge_key.created', actor: audit, target: `bridge_key:${saved.id}`, detail: { name: trimmed } }, now);
      return saved;
    });
    return { key: toBridgeKeyView(entity), secret };
  }

  /** Every key, newest first (revoked ones too, marked). */
  async list(): Promise<BridgeKeyView[]> {
    const rows = await this.dataSource.getRepository(BridgeKeyEntity).find({ order: { createdAt: 'DESC', id: 'DESC' } });
    return rows.map(toBridgeKeyView);
  }

  /**
   * Soft revocation. The auth epoch moves in the same transaction, so every proxy learns of
   * it at its next poll (or pub/sub message) and drops the key's browsers.
   * @returns false when the key is unknown or was already revoked.
   */
  async revoke(id: number, now = new Date(), audit?: AuditActor): Promise<boolean> {
    if (!Number.isSafeInteger(id) || id < 1) return false;
    return runInTransaction(this.dataSource, async (manager) => {
      const result = await manager.getRepository(BridgeKeyEntity).update({ id, revokedAt: IsNull() }, { revokedAt: now });
      if (!result.affected) return false;
      await bumpAuthEpoch(manager);
      if (audit) await recordAuditEvent(manager, { action: 'bridge_key.revoked', actor: audit, target: `bridge_key:${id}` }, now);
      return true;
    });
  }

  /** The key behind a hello's secret: one indexed lookup by hash; null if unknown or revoked. */
  async verify(secret: string): Promise<{ id: number; name: string } | null> {
    if (typeof secret !== 'string' || !looksLikeBridgeKey(secret)) return null;
    const key = await this.dataSource.getRepository(BridgeKeyEntity).findOne({
      select: { id: true, name: true, revokedAt: true },
      where: { keyHash: sha256Hex(secret) },
    });
    if (!key || key.revokedAt) return null;
    return { id: key.id, name: key.name };
  }

  /** Which of these keys are not revoked (a proxy re-checks its sockets after an epoch bump). */
  async activeIds(ids: readonly number[]): Promise<Set<number>> {
    const wanted = [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0))];
    const active = new Set<number>();
    const repo = this.dataSource.getRepository(BridgeKeyEntity);
    for (let i = 0; i < wanted.length; i += IDS_PER_QUERY) {
      const rows = await repo.find({ select: { id: true }, where: { id: In(wanted.slice(i, i + IDS_PER_QUERY)), revokedAt: IsNull() } });
      for (const row of rows) active.add(row.id);
    }
    return active;
  }

  async touch(id: number, at: number): Promise<void> {
    await this.dataSource.getRepository(BridgeKeyEntity).update({ id }, { lastUsedAt: new Date(at) });
  }
}
