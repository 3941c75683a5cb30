import { runInTransaction } from '@lmarena-bridge/database';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BridgeModelEntity } from '../entities/bridge-model.entity';
import type { BridgeModelView } from '../views';

/** A model object as the userscript reports it from the site (already parsed JSON). */
export interface ReportedModel {
  id: string;
  publicName?: string;
  organization?: string;
  provider?: string;
  capabilities?: unknown;
}

/** The site lists a few hundred models; anything beyond this is not a real list. */
export const MAX_REPORTED_MODELS = 2000;
const MAX_ID_CHARS = 100;
const MAX_TEXT_CHARS = 200;
/** A capabilities object is a few hundred bytes; a larger one is dropped rather than cut. */
const MAX_CAPABILITIES_CHARS = 8000;
const ROWS_PER_STATEMENT = 100;

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_TEXT_CHARS) : null;
}

function capabilitiesJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  try {
    const json = JSON.stringify(value);
    return json !== undefined && json.length <= MAX_CAPABILITIES_CHARS ? json : null;
  } catch {
    return null; // cyclic or BigInt: cannot come from JSON.parse, but the input is untrusted
  }
}

/** The site's model list as the userscripts last reported it, kept across restarts. */
@Injectable()
export class BridgeModelsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Upserts the reported models by id. Entries without a usable id are skipped (an id is
   * never cut: a shortened uuid would name another model); other strings are cut to 200
   * characters; only the first 2000 entries count.
   */
  async saveReported(models: ReadonlyArray<ReportedModel>, at: number): Promise<void> {
    if (!Array.isArray(models)) return;
    const byId = new Map<string, BridgeModelEntity>();
    for (const m of models.slice(0, MAX_REPORTED_MODELS)) {
      if (typeof m !== 'object' || m === null) continue;
      const id = m.id;
      if (typeof id !== 'string' || id === '' || id.length > MAX_ID_CHARS) continue;
      // A later duplicate wins; PostgreSQL refuses one upsert touching a row twice.
      byId.set(
        id,
        Object.assign(new BridgeModelEntity(), {
          id,
          publicName: text(m.publicName),
          organization: text(m.organization),
          provider: text(m.provider),
          capabilities: capabilitiesJson(m.capabilities),
          reportedAt: new Date(at),
        }),
      );
    }
    const rows = [...byId.values()];
    if (!rows.length) return;
    await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(BridgeModelEntity);
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        await repo.upsert(rows.slice(i, i + ROWS_PER_STATEMENT), { conflictPaths: ['id'], skipUpdateIfNoValuesChanged: false });
      }
    });
  }

  /** Every reported model, by public name (then id). */
  async list(): Promise<BridgeModelView[]> {
    const rows = await this.dataSource.getRepository(BridgeModelEntity).find({ order: { publicName: 'ASC', id: 'ASC' } });
    return rows.map((m) => ({
      id: m.id,
      public_name: m.publicName,
      organization: m.organization,
      capabilities: m.capabilities === null ? null : (JSON.parse(m.capabilities) as unknown),
      reported_at: m.reportedAt.toISOString(),
    }));
  }

  /** How many models are known (for /api/status). */
  count(): Promise<number> {
    return this.dataSource.getRepository(BridgeModelEntity).count();
  }
}
