import type { DayUsage, ModelUsage, StatusUsage, TokenUsage, UsageLogEntry, UsageLogPage, UsageSummary } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';

// Swagger schemas of the contract's Summary and Log shapes.

export class DayUsageDto implements DayUsage {
  @ApiProperty({ example: '2026-11-24', description: 'UTC day' }) date!: string;
  @ApiProperty({ example: 1520 }) requests!: number;
  @ApiProperty({ example: 12, description: 'requests answered with a non-2xx status' }) errors!: number;
  @ApiProperty({ example: 834.2 }) avg_response_time_ms!: number;
  @ApiProperty({ example: 2480.6 }) p95_response_time_ms!: number;
  @ApiProperty({ example: 0.0123, description: "USD at the models' prices, to the nano-dollar (1e-9)" }) cost_usd!: number;
}

export class ModelUsageDto implements ModelUsage {
  @ApiProperty({ example: 'gpt-4o' }) model!: string;
  @ApiProperty({ example: 900 }) requests!: number;
  @ApiProperty({ example: 4 }) errors!: number;
  @ApiProperty({ example: 812.5 }) avg_response_time_ms!: number;
  @ApiProperty({ example: 120000 }) prompt_tokens!: number;
  @ApiProperty({ example: 64000 }) completion_tokens!: number;
  @ApiProperty({ example: 0.0123, description: "USD at the models' prices, to the nano-dollar (1e-9)" }) cost_usd!: number;
}

export class TokenUsageDto implements TokenUsage {
  @ApiProperty({ example: 3 }) token_id!: number;
  @ApiProperty({ example: 'laptop' }) name!: string;
  @ApiProperty({ example: 700 }) requests!: number;
  @ApiProperty({ example: 0.0123, description: "USD at the models' prices, to the nano-dollar (1e-9)" }) cost_usd!: number;
}

export class StatusUsageDto implements StatusUsage {
  @ApiProperty({ example: 200 }) status_code!: number;
  @ApiProperty({ example: 1508 }) count!: number;
}

export class UsageSummaryDto implements UsageSummary {
  @ApiProperty({ example: 30 }) days!: number;
  @ApiProperty({ example: 1520 }) total_requests!: number;
  @ApiProperty({ example: 1508, description: '2xx answers' }) success_requests!: number;
  @ApiProperty({ example: 12, description: 'every other status, client-closed (499) included' }) error_requests!: number;
  @ApiProperty({ example: 0.9921, minimum: 0, maximum: 1, description: 'success_requests / total_requests to 4 decimals; 0 without requests' })
  success_rate!: number;
  @ApiProperty({ example: 834.2, description: 'exact mean, 0.1 ms' }) avg_response_time_ms!: number;
  @ApiProperty({
    example: 610.9,
    description: 'median from the daily latency histograms (buckets growing by 2^(1/4): within 9.05 % of the exact value from 1 ms up)',
  })
  p50_response_time_ms!: number;
  @ApiProperty({ example: 2480.6, description: '95th percentile, same histogram and bound as p50' }) p95_response_time_ms!: number;
  @ApiProperty({ example: 120000 }) prompt_tokens!: number;
  @ApiProperty({ example: 64000 }) completion_tokens!: number;
  @ApiProperty({
    example: 4.2371,
    description:
      "USD at the models' prices (models.json `price`), to the nano-dollar: each request's cost is rounded to 1e-9 USD once and summed exactly; models without a price add 0",
  })
  cost_usd!: number;
  @ApiProperty({ example: 2, description: 'tokens of the scope the proxy accepts now: not revoked, not expired, owner not disabled' }) active_tokens!: number;
  @ApiProperty({ type: [DayUsageDto], description: 'one entry per UTC day of the window, oldest first, zero-filled' }) by_day!: DayUsageDto[];
  @ApiProperty({ type: [ModelUsageDto], description: 'most requests first' }) by_model!: ModelUsageDto[];
  @ApiProperty({ type: [TokenUsageDto], description: 'most requests first' }) by_token!: TokenUsageDto[];
  @ApiProperty({ type: [StatusUsageDto], description: 'by status code, ascending' }) by_status!: StatusUsageDto[];
}

export class UsageLogEntryDto implements UsageLogEntry {
  @ApiProperty({ example: 81234 }) id!: number;
  @ApiProperty({ example: '2026-11-24T17:36:46.000Z' }) created_at!: string;
  @ApiProperty({ type: Number, nullable: true, example: 3, description: 'null once the token is deleted' }) token_id!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'laptop' }) token_name!: string | null;
  @ApiProperty({ example: 'gpt-4o' }) model!: string;
  @ApiProperty({ example: '/v1/chat/completions' }) endpoint!: string;
  @ApiProperty({ example: true }) stream!: boolean;
  @ApiProperty({ example: 200 }) status_code!: number;
  @ApiProperty({ example: 834 }) response_time_ms!: number;
  @ApiProperty({ type: Number, nullable: true, example: 212, description: 'time to first token of a stream' }) ttft_ms!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 1200 }) prompt_tokens!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 640 }) completion_tokens!: number | null;
  @ApiProperty({ type: String, nullable: true, example: null }) error_message!: string | null;
  @ApiProperty({ type: Boolean, example: false, description: 'token counts estimated by the proxy, not reported by the upstream' }) usage_estimated!: boolean;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 0.000564,
    description: "USD at the model's price, to the nano-dollar; null when the model has no price or the request no token counts",
  })
  cost_usd!: number | null;
}

export class UsageLogPageDto implements UsageLogPage {
  @ApiProperty({ type: [UsageLogEntryDto], description: 'newest first' }) logs!: UsageLogEntryDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last page' }) next_cursor!: string | null;
}
