import { Module } from '@nestjs/common';
import { UsageExportService } from './usage-export.service';
import { UsageLogService } from './usage-log.service';
import { UsageRetentionService } from './usage-retention.service';
import { UsageSummaryService } from './usage-summary.service';

/**
 * Summary, request log, export and the retention job, for the dashboard. Needs the
 * DatabaseModule and ConfigModule in the app. The proxy imports UsageModule only.
 */
@Module({
  providers: [UsageSummaryService, UsageLogService, UsageExportService, UsageRetentionService],
  exports: [UsageSummaryService, UsageLogService, UsageExportService, UsageRetentionService],
})
export class UsageAnalyticsModule {}
