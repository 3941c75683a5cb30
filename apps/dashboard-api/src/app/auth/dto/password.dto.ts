import type { PasswordChange, PasswordReset } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsAcceptablePassword } from '../../common/password.validator';

export class ChangePasswordDto implements PasswordChange {
  @ApiProperty({ example: 'correct horse battery' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  current_password!: string;

  @ApiProperty({ example: 'battery staple horse', minLength: 8, description: '8 characters to 72 bytes (UTF-8)' })
  @IsAcceptablePassword()
  new_password!: string;
}

export class ResetPasswordDto implements PasswordReset {
  @ApiProperty({ example: 'battery staple horse', minLength: 8, description: '8 characters to 72 bytes (UTF-8)' })
  @IsAcceptablePassword()
  new_password!: string;
}
