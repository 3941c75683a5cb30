import { epochMs } from '@lmarena-bridge/database';
import type { UserRole } from '@lmarena-bridge/contracts';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  /** Stored lower-cased. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** bcrypt hash (cost 12); never leaves the server. */
  @Column({ name: 'password_hash', type: 'varchar', length: 100 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: UserRole;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: Date;

  @Column({ name: 'last_login_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastLoginAt!: Date | null;

  /** Caps on every token of the user: JSON of the limits that are set (see encodeLimits); null: none. */
  @Column({ type: 'text', nullable: true })
  limits!: string | null;
}
