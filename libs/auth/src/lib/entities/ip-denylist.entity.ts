import { epochMs } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One range of the admins' proxy-wide deny list. */
@Entity('ip_denylist')
export class IpDenylistEntity {
  /** Canonical text (see parseIpRange): the key keeps the list free of duplicates. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  range!: string;

  /** Place in the list as the admin gave it. */
  @Column({ type: 'integer' })
  position!: number;

  /** When the range joined the list; kept while it stays in it. */
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;
}
