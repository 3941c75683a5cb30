import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotificationPrefsEntity, ReportPreference } from './entities';

export const REPORT_PREFERENCES: readonly ReportPreference[] = ['off', 'daily', 'weekly'];

/** A user's e-mail report preference. */
@Injectable()
export class NotificationPreferences {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async report(userId: number): Promise<ReportPreference> {
    return (await this.dataSource.getRepository(NotificationPrefsEntity).findOneBy({ userId }))?.report ?? 'off';
  }

  async setReport(userId: number, report: string): Promise<ReportPreference> {
    if (!REPORT_PREFERENCES.includes(report as ReportPreference)) throw new BadRequestException([`report must be one of: ${REPORT_PREFERENCES.join(', ')}`]);
    await this.dataSource.getRepository(NotificationPrefsEntity).upsert({ userId, report: report as ReportPreference }, ['userId']);
    return report as ReportPreference;
  }
}
