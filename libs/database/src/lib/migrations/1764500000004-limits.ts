import { MigrationInterface, QueryRunner, Table } from 'typeorm';

interface AllowedModelsRow {
  id: number | string;
  allowed_models: string | null;
}

interface LimitsRow {
  id: number | string;
  limits: string | null;
}

/** `$1` on PostgreSQL, `?` on SQLite. */
const mark = (q: QueryRunner, n: number) => (q.connection.options.type === 'postgres' ? `$${n}` : '?');

/**
 * A stored allow-list as the list it stands for. The column was only ever written as null by
 * the API; should a hand-written value not be a JSON array of strings, the token gets an empty
 * list (no model at all): the verifier used to fail on such a value, so the token worked for
 * no model before either, and an unreadable restriction must not become "every model".
 */
function allowedModelsOf(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((m) => typeof m === 'string')) return parsed;
  } catch {
    // fall through: unreadable
  }
  return [];
}

/**
 * Limits per token and caps per user, plus the admins' proxy-wide IP deny list.
 * - `api_tokens.limits` / `users.limits`: JSON of the contract's TokenLimits with only the
 *   fields that are set (`{"rpm":600}`); NULL when nothing is set (no limits).
 * - `api_tokens.allowed_models` (a JSON array nobody but tests ever wrote) moves into
 *   `limits.allowed_models` and is dropped, so a token's limits live in one place.
 * - `ip_denylist`: one row per range, canonical text as the primary key (the database keeps it
 *   free of duplicates), `position` keeping the order the admin gave, `created_at` kept for a
 *   range that stays in the list across replacements. A table rather than a settings row: the
 *   ranges are facts the database can constrain, and no settings table exists to borrow.
 * SQLite (3.35 and later, as bundled with better-sqlite3) drops a plain column in place.
 */
export class Limits1764500000004 implements MigrationInterface {
  name = 'Limits1764500000004';

  async up(q: QueryRunner): Promise<void> {
    // Plain ALTER TABLE: both engines add a nullable column in place (TypeORM's SQLite runner
    // would copy the whole table instead).
    await q.query('ALTER TABLE "api_tokens" ADD COLUMN "limits" text NULL');
    await q.query('ALTER TABLE "users" ADD COLUMN "limits" text NULL');

    const rows: AllowedModelsRow[] = await q.query('SELECT "id", "allowed_models" FROM "api_tokens" WHERE "allowed_models" IS NOT NULL');
    for (const row of rows) {
      const limits = JSON.stringify({ allowed_models: allowedModelsOf(row.allowed_models ?? '') });
      await q.query(`UPDATE "api_tokens" SET "limits" = ${mark(q, 1)} WHERE "id" = ${mark(q, 2)}`, [limits, Number(row.id)]);
    }
    await q.query('ALTER TABLE "api_tokens" DROP COLUMN "allowed_models"');

    await q.createTable(
      new Table({
        name: 'ip_denylist',
        columns: [
          // The canonical text of an address or CIDR range (`10.0.0.0/8`, `2001:db8::/32`).
          { name: 'range', type: 'varchar', length: '64', isPrimary: true },
          { name: 'position', type: 'integer', isNullable: false },
          { name: 'created_at', type: 'bigint', isNullable: false },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('ip_denylist');
    await q.query('ALTER TABLE "api_tokens" ADD COLUMN "allowed_models" text NULL');
    const rows: LimitsRow[] = await q.query('SELECT "id", "limits" FROM "api_tokens" WHERE "limits" IS NOT NULL');
    for (const row of rows) {
      const models = (JSON.parse(row.limits ?? '{}') as { allowed_models?: unknown }).allowed_models;
      if (Array.isArray(models)) {
        await q.query(`UPDATE "api_tokens" SET "allowed_models" = ${mark(q, 1)} WHERE "id" = ${mark(q, 2)}`, [JSON.stringify(models), Number(row.id)]);
      }
    }
    // The other limits have no column to go back to: they are lost, as a down migration must.
    await q.query('ALTER TABLE "api_tokens" DROP COLUMN "limits"');
    await q.query('ALTER TABLE "users" DROP COLUMN "limits"');
  }
}
