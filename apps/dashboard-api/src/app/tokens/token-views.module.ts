import { AuthModule } from '@lmarena-bridge/auth';
import { DatabaseUsageNowSource, UsageCounters, UsageNowSource } from '@lmarena-bridge/usage';
import { Module } from '@nestjs/common';
import { CountersUsageNowSource } from '../limits/counters-usage-now.source';
import { TokenViews } from './token-views.service';

/**
 * `usage_now` for the token answers: the proxies' live counters on Redis for tokens with counted
 * limits (in_flight included), the usage tables for the rest and without Redis.
 */
@Module({
  imports: [AuthModule],
  providers: [TokenViews, DatabaseUsageNowSource, UsageCounters, { provide: UsageNowSource, useClass: CountersUsageNowSource }],
  exports: [TokenViews],
})
export class TokenViewsModule {}
