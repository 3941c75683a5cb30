import type { AdminUser, User, UserResponse } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { TokenLimitsDto } from '../../tokens/dto/token-limits.dto';

/** Swagger schema of the contract's User. */
export class UserDto implements User {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'alice' }) username!: string;
  @ApiProperty({ example: 'alice@example.com' }) email!: string;
  @ApiProperty({ enum: ['admin', 'user'] }) role!: 'admin' | 'user';
  @ApiProperty({ example: '2026-11-24T17:36:46.000Z' }) created_at!: string;
  @ApiProperty({ example: '2026-11-24T17:40:00.000Z', nullable: true, type: String }) last_login_at!: string | null;
  @ApiProperty({ type: TokenLimitsDto, description: 'caps an admin set on every token of this user (each null: none)' }) limits!: TokenLimitsDto;
}

export class UserResponseDto implements UserResponse {
  @ApiProperty({ type: UserDto }) user!: UserDto;
}

export class AdminUserDto extends UserDto implements AdminUser {
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ example: 2 }) token_count!: number;
}

export class AdminUserListDto {
  @ApiProperty({ type: [AdminUserDto] }) users!: AdminUserDto[];
}
