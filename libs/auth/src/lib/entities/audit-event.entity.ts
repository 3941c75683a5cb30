import { epochMs } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One line of the audit log: who did what to whom, from where. Append-only. */
@Entity('audit_events')
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: Date;

  /** The signed-in (or signing-in) user; null when unknown. */
  @Column({ name: 'actor_id', type: 'integer', nullable: true })
  actorId!: number | null;

  /** The actor's username at the time, or the login name tried. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  actor!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  target!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  /** A JSON object. */
  @Column({ type: 'text', nullable: true })
  detail!: string | null;
}
