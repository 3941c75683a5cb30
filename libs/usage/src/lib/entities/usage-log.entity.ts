import { epochMs } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One proxied request made with a dashboard token. */
@Entity('usage_logs')
export class UsageLogEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  /** Owner of the token at the time of the request. */
  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId!: number | null;

  @Column({ name: 'token_id', type: 'integer', nullable: true })
  tokenId!: number | null;

  @Column({ type: 'varchar', length: 200 })
  model!: string;

  @Column({ type: 'varchar', length: 100 })
  endpoint!: string;

  @Column({ type: 'boolean', default: false })
  stream!: boolean;

  @Column({ name: 'status_code', type: 'integer' })
  statusCode!: number;

  @Column({ name: 'response_time_ms', type: 'integer' })
  responseTimeMs!: number;

  @Column({ name: 'ttft_ms', type: 'integer', nullable: true })
  ttftMs!: number | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  /** The token counts were estimated by the proxy, not reported by the upstream. */
  @Column({ name: 'usage_estimated', type: 'boolean', default: false })
  usageEstimated!: boolean;

  /** USD, rounded to the nano-dollar; null: the model had no price or the request no token counts. */
  @Column({ name: 'cost_usd', type: 'double precision', nullable: true })
  costUsd!: number | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;
}
