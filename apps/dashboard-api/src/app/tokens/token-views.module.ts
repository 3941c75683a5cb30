import { DatabaseUsageNowSource, UsageNowSource } from '@lmarena-bridge/usage';
import { Module } from '@nestjs/common';
import { TokenViews } from './token-views.service';

/**
 * `usage_now` for the token answers. Read from the usage tables for now; the limits engine's
 * live counters (in_flight included) take over by binding UsageNowSource to them here.
 */
@Module({
  providers: [TokenViews, { provide: UsageNowSource, useClass: DatabaseUsageNowSource }],
  exports: [TokenViews],
})
export class TokenViewsModule {}
