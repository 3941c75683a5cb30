import { epochMs } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A model from the site's list, as a userscript last reported it. */
@Entity('bridge_models')
export class BridgeModelEntity {
  /** The site's model id (a uuid). */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  id!: string;

  @Column({ name: 'public_name', type: 'varchar', length: 200, nullable: true })
  publicName!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  organization!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  provider!: string | null;

  /** JSON of the site's capabilities object; null when absent or too large to keep. */
  @Column({ type: 'text', nullable: true })
  capabilities!: string | null;

  @Column({ name: 'reported_at', type: 'bigint', transformer: epochMs })
  reportedAt!: Date;
}
