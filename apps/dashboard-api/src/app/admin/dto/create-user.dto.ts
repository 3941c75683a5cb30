import type { AdminNewAccount } from '@lmarena-bridge/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { RegisterDto } from '../../auth/dto/register.dto';
import { OptionalNotNull } from '../../common/optional-not-null';

export class CreateUserDto extends RegisterDto implements AdminNewAccount {
  @ApiPropertyOptional({ enum: ['admin', 'user'], default: 'user' })
  @OptionalNotNull()
  @IsIn(['admin', 'user'])
  role?: 'admin' | 'user';
}
