import { epochMs } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A bridge key: the credential of one installed userscript. Only its SHA-256 is stored. */
@Entity('bridge_keys')
export class BridgeKeyEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  /** `lmb-bridge-…` plus the last four characters, to tell keys apart in logs. */
  @Column({ type: 'varchar', length: 32 })
  hint!: string;

  /** The admin who made it; null once that account is deleted (or for the CLI). */
  @Column({ name: 'created_by', type: 'integer', nullable: true })
  createdBy!: number | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt!: Date | null;
}
