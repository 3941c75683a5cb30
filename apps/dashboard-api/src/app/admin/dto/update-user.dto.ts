import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn } from 'class-validator';
import { OptionalNotNull } from '../../common/optional-not-null';

export class UpdateUserDto {
  @ApiPropertyOptional({ description: 'true disables the account, ends its sessions and stops its tokens' })
  @OptionalNotNull()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ enum: ['admin', 'user'] })
  @OptionalNotNull()
  @IsIn(['admin', 'user'])
  role?: 'admin' | 'user';
}
