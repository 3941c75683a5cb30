import type { AdminUserChanges, TokenLimitsInput } from '@lmarena-bridge/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsObject, IsOptional } from 'class-validator';
import { OptionalNotNull } from '../../common/optional-not-null';
import { TokenLimitsInputDto } from '../../tokens/dto/token-limits.dto';

export class UpdateUserDto implements AdminUserChanges {
  @ApiPropertyOptional({ description: 'true disables the account, ends its sessions and stops its tokens' })
  @OptionalNotNull()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ enum: ['admin', 'user'] })
  @OptionalNotNull()
  @IsIn(['admin', 'user'])
  role?: 'admin' | 'user';

  @ApiPropertyOptional({
    type: () => TokenLimitsInputDto,
    nullable: true,
    description:
      "caps on every token of the user (each token's effective limit is the stricter of its own and the cap): fields left out stay, " +
      'fields given as null are lifted; null lifts every cap',
  })
  // null is a value here (lift every cap), so @IsOptional rather than OptionalNotNull.
  @IsOptional()
  @IsObject({ message: 'limits must be an object or null' })
  limits?: TokenLimitsInput | null;
}
