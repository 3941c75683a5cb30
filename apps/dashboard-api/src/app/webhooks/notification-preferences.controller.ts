import { toUser, UserEntity } from '@lmarena-bridge/auth';
import type { User } from '@lmarena-bridge/contracts';
import { NotificationPreferences, ReportPreference } from '@lmarena-bridge/notifications';
import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { MeWithReportDto, ReportPreferenceDto, UpdateMeDto } from './dto/report-preference.dto';

@ApiTags('notifications')
@ApiCookieAuth('session')
@ApiUnauthorizedResponse({ type: ErrorDto })
@Controller('api')
export class NotificationPreferencesController {
  constructor(private readonly prefs: NotificationPreferences) {}

  @Patch('auth/me')
  @ApiOperation({ summary: 'Choose the e-mail usage report: off, daily (after each UTC day) or weekly (Mondays)' })
  @ApiOkResponse({ type: MeWithReportDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  async updateMe(@CurrentUser() user: UserEntity, @Body() body: UpdateMeDto): Promise<User & { report: ReportPreference }> {
    return { ...toUser(user), report: await this.prefs.setReport(user.id, body.report) };
  }

  @Get('notifications/preferences')
  @ApiOperation({ summary: 'Your e-mail report preference' })
  @ApiOkResponse({ type: ReportPreferenceDto })
  async preferences(@CurrentUser() user: UserEntity): Promise<{ report: ReportPreference }> {
    return { report: await this.prefs.report(user.id) };
  }
}
