import type { NewBridgeUserscript } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsCleanText } from '../../common/clean-text.validator';

export class CreateUserscriptDto implements NewBridgeUserscript {
  @ApiProperty({ example: 'laptop chrome', minLength: 1, maxLength: 100, description: 'the name of the new bridge key' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsCleanText()
  name!: string;
}
