import {
  DEFAULT_LOG_LIMIT,
  DEFAULT_USAGE_DAYS,
  MAX_LOG_LIMIT,
  MAX_USAGE_DAYS,
  MIN_USAGE_DAYS,
  USAGE_EXPORT_FORMATS,
  UsageExportFormat,
} from '@lmarena-bridge/usage';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const MAX_ID = 2_147_483_647;

/**
 * Query values arrive as strings: only plain decimal digits become a number, so `1.5`,
 * `1e2`, ` 7` or `abc` stay strings and fail @IsInt (400) instead of being coerced.
 */
const toInt = ({ value }: TransformFnParams): unknown => (typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value);

export type ScopeParam = 'mine' | 'all';

/** The scope parameter every usage route shares. */
export class ScopeQueryDto {
  @ApiPropertyOptional({ enum: ['mine', 'all'], default: 'mine', description: "`all`: every user's usage (admins only, else 403)" })
  @IsOptional()
  @IsIn(['mine', 'all'])
  scope?: ScopeParam;
}

export class SummaryQueryDto extends ScopeQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: MIN_USAGE_DAYS,
    maximum: MAX_USAGE_DAYS,
    default: DEFAULT_USAGE_DAYS,
    description: 'the last N UTC days, today included',
  })
  @Transform(toInt)
  @IsInt()
  @Min(MIN_USAGE_DAYS)
  @Max(MAX_USAGE_DAYS)
  days: number = DEFAULT_USAGE_DAYS;
}

/** Filters shared by the request log and the export. */
export class LogFilterQueryDto extends ScopeQueryDto {
  @ApiPropertyOptional({ example: 'gpt-4o', description: 'exact model name' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({
    example: '/v1/embeddings',
    description: 'exact endpoint path (/v1/chat/completions, /v1/embeddings, /v1/completions, /v1/responses, /v1/messages)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  endpoint?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, example: 3 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  token_id?: number;

  @ApiPropertyOptional({ example: 'error', description: '`success` (2xx), `error` (anything else) or an exact status code such as `429`' })
  @IsOptional()
  @IsString()
  @Matches(/^(success|error|[1-5]\d\d)$/, { message: 'status must be success, error or a status code from 100 to 599' })
  status?: string;

  @ApiPropertyOptional({
    example: 'timeout',
    maxLength: 200,
    description: 'text in the model, the token name or the error message; case-insensitive (on SQLite for ASCII letters only); % and _ match themselves',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class LogsQueryDto extends LogFilterQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LOG_LIMIT, default: DEFAULT_LOG_LIMIT })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_LOG_LIMIT)
  limit: number = DEFAULT_LOG_LIMIT;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  cursor?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: MIN_USAGE_DAYS,
    maximum: MAX_USAGE_DAYS,
    description: 'only the last N UTC days (default: every stored row)',
  })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(MIN_USAGE_DAYS)
  @Max(MAX_USAGE_DAYS)
  days?: number;
}

export class ExportQueryDto extends LogFilterQueryDto {
  @ApiPropertyOptional({ enum: USAGE_EXPORT_FORMATS, default: 'csv' })
  @IsIn(USAGE_EXPORT_FORMATS)
  format: UsageExportFormat = 'csv';

  @ApiPropertyOptional({
    type: 'integer',
    minimum: MIN_USAGE_DAYS,
    maximum: MAX_USAGE_DAYS,
    default: DEFAULT_USAGE_DAYS,
    description: 'the last N UTC days, today included',
  })
  @Transform(toInt)
  @IsInt()
  @Min(MIN_USAGE_DAYS)
  @Max(MAX_USAGE_DAYS)
  days: number = DEFAULT_USAGE_DAYS;
}
