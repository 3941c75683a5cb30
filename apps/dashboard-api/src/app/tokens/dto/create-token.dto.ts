import type { NewToken, TokenLimitsInput } from '@lmarena-bridge/contracts';
import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsObject, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsCleanText } from '../../common/clean-text.validator';
import { OptionalNotNull } from '../../common/optional-not-null';
import { TokenLimitsInputDto } from './token-limits.dto';

export class CreateTokenDto implements NewToken {
  @ApiProperty({ example: 'laptop', minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsCleanText()
  name!: string;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00.000Z', description: 'a future ISO 8601 date-time; not with expires_in_days' })
  @OptionalNotNull()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'expires_at must be an ISO 8601 date-time' })
  expires_at?: string;

  @ApiPropertyOptional({ example: 30, minimum: 1, maximum: 3650, description: 'days from now; not with expires_at' })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(3650)
  expires_in_days?: number;

  @ApiPropertyOptional({ type: () => TokenLimitsInputDto, description: 'the fields left out are unlimited' })
  @OptionalNotNull()
  @IsObject({ message: 'limits must be an object' })
  limits?: TokenLimitsInput;
}
