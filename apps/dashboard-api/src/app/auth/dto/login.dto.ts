import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsCleanText } from '../../common/clean-text.validator';

export class LoginDto {
  @ApiProperty({ example: 'alice', description: 'username or email' })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  @IsCleanText()
  username!: string;

  @ApiProperty({ example: 'correct horse battery' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}
