import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { UserDto } from '../../auth/dto/user.dto';

export class UpdateMeDto {
  @ApiProperty({ enum: ['off', 'daily', 'weekly'], description: 'the e-mail usage report' })
  @IsIn(['off', 'daily', 'weekly'], { message: 'report must be one of: off, daily, weekly' })
  report!: 'off' | 'daily' | 'weekly';
}

export class ReportPreferenceDto {
  @ApiProperty({ enum: ['off', 'daily', 'weekly'] }) report!: 'off' | 'daily' | 'weekly';
}

export class MeWithReportDto extends UserDto {
  @ApiProperty({ enum: ['off', 'daily', 'weekly'] }) report!: 'off' | 'daily' | 'weekly';
}
