import { Module } from '@nestjs/common';
import { UsageExportService } from './usage-export.service';
import { UsageLogService } from './usage-log.service';
import { UsageRetentionService } from './usage-retention.service';
import { UsageSummaryService } from './usage-summary.service';
import { UsageCounters } from '../usage-counters.service';

/**
 * Summary, request log, export, the retention job and the rollup counters (a token's
 * day and month usage), for the dashboard. Needs the
 * DatabaseModule and ConfigModule in the app. The proxy imports UsageModule only.
 */
@Module({
  providers: [UsageSummaryService, UsageLogService, UsageExportService, UsageRetentionService, UsageCounters],
  exports: [UsageSummaryService, UsageLogService, UsageExportService, UsageRetentionService, UsageCounters],
})
export class UsageAnalyticsModule {}
