import { UsageAnalyticsModule } from '@lmarena-bridge/usage';
import { Module } from '@nestjs/common';
import { UsageController } from './usage.controller';

/** GET /api/usage/{summary,logs,export}; the analytics module also runs the retention job. */
@Module({ imports: [UsageAnalyticsModule], controllers: [UsageController] })
export class UsageApiModule {}
