import type { AuditEvent, AuditPage } from '@lmarena-bridge/contracts';
import { AUDIT_ACTIONS } from '@lmarena-bridge/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_AUDIT_LIMIT = 50;
export const MAX_AUDIT_LIMIT = 200;

/** Only plain decimal digits become a number; anything else fails @IsInt (400). */
const toInt = ({ value }: TransformFnParams): unknown => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value);

export class AuditQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_AUDIT_LIMIT, default: DEFAULT_AUDIT_LIMIT })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_AUDIT_LIMIT)
  limit: number = DEFAULT_AUDIT_LIMIT;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,9}$/, { message: 'cursor must be a value from next_cursor' })
  cursor?: string;

  @ApiPropertyOptional({ example: 'auth.login_failed', description: `exact action, e.g. ${AUDIT_ACTIONS.join(', ')}` })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z0-9_.]+$/, { message: 'action must be lower-case letters, digits, "_" and "."' })
  action?: string;

  @ApiPropertyOptional({ example: 'alice', description: 'username of the actor (any letter case)' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  actor?: string;
}

export class AuditEventDto implements AuditEvent {
  @ApiProperty({ example: 41 }) id!: number;
  @ApiProperty({ example: '2026-11-24T17:36:46.000Z' }) at!: string;
  @ApiProperty({ example: 1, nullable: true, type: Number }) actor_id!: number | null;
  @ApiProperty({ example: 'alice', nullable: true, type: String }) actor!: string | null;
  @ApiProperty({ example: 'user.password_reset' }) action!: string;
  @ApiProperty({ example: 'user:7 bob', nullable: true, type: String }) target!: string | null;
  @ApiProperty({ example: '192.0.2.10', nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ nullable: true, type: Object, example: { sessions_ended: 2 } }) detail!: Record<string, unknown> | null;
}

export class AuditPageDto implements AuditPage {
  @ApiProperty({ type: [AuditEventDto] }) events!: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String, example: '41' }) next_cursor!: string | null;
}
