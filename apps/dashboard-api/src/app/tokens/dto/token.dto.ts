import type { AdminToken, CreatedToken, Token, TokenList } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { TokenLimitsDto, UsageNowDto } from './token-limits.dto';

/** Swagger schema of the contract's Token. */
export class TokenDto implements Token {
  @ApiProperty({ example: 3 }) id!: number;
  @ApiProperty({ example: 'laptop' }) name!: string;
  @ApiProperty({ example: 'sk-lmarena-…wxyz' }) hint!: string;
  @ApiProperty({ example: '2026-11-24T17:36:46.000Z' }) created_at!: string;
  @ApiProperty({ nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) expires_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_at!: string | null;
  @ApiProperty({ enum: ['active', 'expired', 'revoked'] }) status!: 'active' | 'expired' | 'revoked';
  @ApiProperty({ type: TokenLimitsDto, description: "the token's own limits; its owner's caps apply on top" }) limits!: TokenLimitsDto;
  @ApiProperty({ type: UsageNowDto, description: 'what the limits compare against now' }) usage_now!: UsageNowDto;
}

export class CreatedTokenDto extends TokenDto implements CreatedToken {
  @ApiProperty({ example: 'sk-lmarena-2jv6Yc1x…', description: 'the secret: shown in this answer only' })
  token!: string;
}

export class TokenListDto implements TokenList {
  @ApiProperty({ type: [TokenDto] }) tokens!: TokenDto[];
}

export class AdminTokenDto extends TokenDto implements AdminToken {
  @ApiProperty() user_id!: number;
  @ApiProperty() username!: string;
}

export class AdminTokenListDto {
  @ApiProperty({ type: [AdminTokenDto] }) tokens!: AdminTokenDto[];
}
