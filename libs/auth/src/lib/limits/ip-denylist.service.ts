import { runInTransaction } from '@lmarena-bridge/database';
import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditActor, recordAuditEvent } from '../audit/audit.service';
import { AuthChangeNotifier, notifyAuthChange } from '../auth-change-notifier';
import { bumpAuthEpoch } from '../auth-epoch';
import { IpDenylistEntity } from '../entities/ip-denylist.entity';
import { normalizeRanges } from './limits-rules';

/** Rows per INSERT: far below either engine's parameter limit. */
const INSERT_CHUNK = 200;

// Any constant (distinct from the other advisory locks): names the lock taken below.
const PG_DENYLIST_LOCK = 584_211_009;

/**
 * The admins' proxy-wide IP deny list: addresses and CIDR ranges refused for every token.
 * Stored one canonical range per row in the order the admin gave; the proxy reads it with
 * `list()` (again whenever the auth epoch moves, which every replacement bumps).
 */
@Injectable()
export class IpDenylistService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() private readonly notifier?: AuthChangeNotifier,
  ) {}

  /** The ranges, canonical, in the admin's order. */
  async list(): Promise<string[]> {
    const rows = await this.dataSource.getRepository(IpDenylistEntity).find({ order: { position: 'ASC', range: 'ASC' } });
    return rows.map((r) => r.range);
  }

  /**
   * Replaces the whole list. Entries are checked (400 naming the first bad one), written in
   * canonical form, and deduplicated keeping the first occurrence. A real change bumps the auth
   * epoch and is audited (ip_denylist.changed with what was added and removed) in the same
   * transaction; the proxies are told after commit. The same list again changes nothing.
   */
  async replace(input: unknown, audit?: AuditActor, now = new Date()): Promise<string[]> {
    const ranges = normalizeRanges(input);
    const changed = await runInTransaction(this.dataSource, async (manager) => {
      // Two replacements at once on PostgreSQL would each delete the rows they saw and insert
      // theirs, the second failing on the first one's keys: they take turns (until commit).
      // SQLite transactions take turns already.
      if (manager.connection.options.type === 'postgres') await manager.query('SELECT pg_advisory_xact_lock($1)', [PG_DENYLIST_LOCK]);
      const repo = manager.getRepository(IpDenylistEntity);
      const current = await repo.find({ order: { position: 'ASC', range: 'ASC' } });
      if (current.length === ranges.length && current.every((row, i) => row.range === ranges[i])) return false;
      // A range that stays keeps the time it was first denied.
      const since = new Map(current.map((row) => [row.range, row.createdAt]));
      // DELETE, not TRUNCATE (TypeORM's clear on PostgreSQL): the proxies go on reading the old list until commit.
      await manager.query('DELETE FROM "ip_denylist"');
      const rows = ranges.map((range, position) => ({ range, position, createdAt: since.get(range) ?? now }));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await repo.insert(rows.slice(i, i + INSERT_CHUNK));
      await bumpAuthEpoch(manager);
      if (audit) {
        const kept = new Set(ranges);
        await recordAuditEvent(
          manager,
          {
            action: 'ip_denylist.changed',
            actor: audit,
            target: 'ip_denylist',
            detail: { added: ranges.filter((r) => !since.has(r)), removed: current.map((r) => r.range).filter((r) => !kept.has(r)), count: ranges.length },
          },
          now,
        );
      }
      return true;
    });
    if (changed) await notifyAuthChange(this.notifier, { kind: 'ip_denylist' });
    return ranges;
  }
}
