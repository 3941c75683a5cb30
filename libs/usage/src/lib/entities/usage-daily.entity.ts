import { bigintNumber } from '@lmarena-bridge/database';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Requests per UTC day (days since the epoch), owner, token, model and status code. */
@Entity('usage_daily')
export class UsageDailyEntity {
  @PrimaryColumn({ type: 'integer' })
  day!: number;

  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId!: number;

  @PrimaryColumn({ name: 'token_id', type: 'integer' })
  tokenId!: number;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  model!: string;

  @PrimaryColumn({ name: 'status_code', type: 'integer' })
  statusCode!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  requests!: number;

  @Column({ name: 'response_time_ms_sum', type: 'bigint', default: 0, transformer: bigintNumber })
  responseTimeMsSum!: number;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0, transformer: bigintNumber })
  promptTokens!: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0, transformer: bigintNumber })
  completionTokens!: number;

  /** Cost in whole nano-dollars (1e-9 USD): integer sums are exact on both engines (see cost.ts). */
  @Column({ name: 'cost_nano_usd', type: 'bigint', default: 0, transformer: bigintNumber })
  costNanoUsd!: number;

  /** Requests the limits refused; `requests` counts them too. */
  @Column({ name: 'refused_requests', type: 'bigint', default: 0, transformer: bigintNumber })
  refusedRequests!: number;
}
