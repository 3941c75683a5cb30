import { bigintNumber } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A browser connected to some proxy instance's `/ws`, refreshed by that instance while the
 * socket lives (seen_at). Rows of an instance that died without cleaning up simply go stale:
 * readers only trust rows seen recently.
 */
@Entity('bridge_browsers')
export class BridgeBrowserEntity {
  @PrimaryColumn({ name: 'browser_id', type: 'varchar', length: 64 })
  browserId!: string;

  /** The proxy process holding the socket. */
  @Column({ name: 'instance_id', type: 'varchar', length: 64 })
  instanceId!: string;

  /** null: authenticated with the configured shared secret, not a bridge key. */
  @Column({ name: 'key_id', type: 'integer', nullable: true })
  keyId!: number | null;

  @Column({ type: 'varchar', length: 200 })
  origin!: string;

  @Column({ type: 'varchar', length: 50 })
  version!: string;

  @Column({ name: 'connected_at', type: 'bigint', transformer: bigintNumber })
  connectedAt!: number;

  @Column({ name: 'in_flight', type: 'integer' })
  inFlight!: number;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'seen_at', type: 'bigint', transformer: bigintNumber })
  seenAt!: number;
}
