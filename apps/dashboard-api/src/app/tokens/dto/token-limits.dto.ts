import { MAX_LIMIT_COUNT, MAX_LIMIT_LIST, MAX_MODEL_NAME } from '@lmarena-bridge/auth';
import type { TokenLimits, TokenLimitsInput, UsageNow } from '@lmarena-bridge/contracts';
import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';

// Swagger schemas of the contract's limit shapes. A request's `limits` object is checked field by
// field by libs/auth (normalizeLimitsInput, one 400 message per problem, each naming the field),
// the same rules whichever caller changes limits; the DTOs only check that it is an object.

const COUNT = { type: 'integer', maximum: MAX_LIMIT_COUNT, nullable: true } as const;
const LIST = { type: String, isArray: true, maxItems: MAX_LIMIT_LIST, nullable: true } as const;
const FIELDS: Record<keyof TokenLimits, ApiPropertyOptions> = {
  rpm: { ...COUNT, minimum: 1, example: 600, description: 'requests per minute: a token bucket of this size refilled over 60 s' },
  tpm: { ...COUNT, minimum: 1, example: 100_000, description: 'prompt + completion tokens per minute, the same kind of bucket' },
  max_parallel: { ...COUNT, minimum: 1, example: 4, description: 'requests in flight at once' },
  daily_requests: { ...COUNT, minimum: 0, example: 5000, description: 'requests per UTC day (reset at 00:00 UTC)' },
  monthly_tokens: { ...COUNT, minimum: 0, example: 10_000_000, description: 'prompt + completion tokens per UTC calendar month' },
  monthly_budget_usd: { type: 'number' as const, minimum: 0, nullable: true, example: 25, description: 'USD per UTC calendar month, priced from models.json' },
  allowed_models: { ...LIST, example: ['gpt-4o-mini'], description: `exact public model names (each 1 to ${MAX_MODEL_NAME} characters); null: every model` },
  allowed_ips: {
    ...LIST,
    example: ['203.0.113.0/24', '2001:db8::/32'],
    description: 'IPv4/IPv6 addresses or CIDR ranges requests may come from; null: anywhere',
  },
  denied_ips: { ...LIST, example: ['203.0.113.66'], description: 'addresses or ranges refused even when allowed' },
};

/** `limits` in a request: every field optional; left out keeps it (unlimited on creation), null lifts it. */
export class TokenLimitsInputDto implements TokenLimitsInput {
  @ApiPropertyOptional(FIELDS.rpm) rpm?: number | null;
  @ApiPropertyOptional(FIELDS.tpm) tpm?: number | null;
  @ApiPropertyOptional(FIELDS.max_parallel) max_parallel?: number | null;
  @ApiPropertyOptional(FIELDS.daily_requests) daily_requests?: number | null;
  @ApiPropertyOptional(FIELDS.monthly_tokens) monthly_tokens?: number | null;
  @ApiPropertyOptional(FIELDS.monthly_budget_usd) monthly_budget_usd?: number | null;
  @ApiPropertyOptional(FIELDS.allowed_models) allowed_models?: string[] | null;
  @ApiPropertyOptional(FIELDS.allowed_ips) allowed_ips?: string[] | null;
  @ApiPropertyOptional(FIELDS.denied_ips) denied_ips?: string[] | null;
}

/** `limits` in an answer: every field present, null when unlimited. */
export class TokenLimitsDto implements TokenLimits {
  @ApiProperty(FIELDS.rpm) rpm!: number | null;
  @ApiProperty(FIELDS.tpm) tpm!: number | null;
  @ApiProperty(FIELDS.max_parallel) max_parallel!: number | null;
  @ApiProperty(FIELDS.daily_requests) daily_requests!: number | null;
  @ApiProperty(FIELDS.monthly_tokens) monthly_tokens!: number | null;
  @ApiProperty(FIELDS.monthly_budget_usd) monthly_budget_usd!: number | null;
  @ApiProperty(FIELDS.allowed_models) allowed_models!: string[] | null;
  @ApiProperty(FIELDS.allowed_ips) allowed_ips!: string[] | null;
  @ApiProperty(FIELDS.denied_ips) denied_ips!: string[] | null;
}

export class UsageNowDto implements UsageNow {
  @ApiProperty({ example: 12, description: 'requests in the last 60 s' }) minute_requests!: number;
  @ApiProperty({ example: 5400, description: 'prompt + completion tokens in the last 60 s' }) minute_tokens!: number;
  @ApiProperty({ example: 0, description: 'requests in flight now' }) in_flight!: number;
  @ApiProperty({ example: 310, description: 'requests today (UTC); refusals are not counted' }) day_requests!: number;
  @ApiProperty({ example: 1_250_000, description: 'prompt + completion tokens this UTC month' }) month_tokens!: number;
  @ApiProperty({ example: 3.75, description: 'USD spent this UTC month' }) month_cost_usd!: number;
}
