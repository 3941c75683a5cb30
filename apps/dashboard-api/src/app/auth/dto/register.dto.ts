import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { IsEmailAddress } from '../../common/clean-text.validator';
import { IsAcceptablePassword } from '../../common/password.validator';

export class RegisterDto {
  @ApiProperty({ example: 'alice', description: '3–32 characters: letters, digits, "_", "." or "-"' })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{3,32}$/, { message: 'username must be 3 to 32 characters: letters, digits, "_", "." or "-"' })
  username!: string;

  @ApiProperty({ example: 'alice@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmailAddress()
  email!: string;

  @ApiProperty({ example: 'correct horse battery', minLength: 8, description: '8 characters to 72 bytes (UTF-8); never truncated' })
  @IsAcceptablePassword()
  password!: string;
}
