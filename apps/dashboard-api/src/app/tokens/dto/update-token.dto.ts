import type { TokenChanges, TokenLimitsInput } from '@lmarena-bridge/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { IsCleanText } from '../../common/clean-text.validator';
import { OptionalNotNull } from '../../common/optional-not-null';
import { TokenLimitsInputDto } from './token-limits.dto';

/** PATCH /api/tokens/:id. */
export class UpdateTokenDto implements TokenChanges {
  @ApiPropertyOptional({ example: 'laptop (work)', minLength: 1, maxLength: 100 })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsCleanText()
  name?: string;

  @ApiPropertyOptional({
    type: () => TokenLimitsInputDto,
    nullable: true,
    description: 'fields left out stay as they are, fields given as null become unlimited; null lifts every limit',
  })
  // null is a value here (lift every limit), so @IsOptional rather than OptionalNotNull.
  @IsOptional()
  @IsObject({ message: 'limits must be an object or null' })
  limits?: TokenLimitsInput | null;
}
