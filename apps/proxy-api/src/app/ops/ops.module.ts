import { UsageModule } from '@lmarena-bridge/usage';
import { Global, Module } from '@nestjs/common';
import { OpsController } from './ops.controller';
import { ProxyMetrics } from './proxy-metrics.service';

/** /metrics and /readyz; ProxyMetrics is global so the bridge hub and limits can report to it. */
@Global()
@Module({
  imports: [UsageModule],
  controllers: [OpsController],
  providers: [ProxyMetrics],
  exports: [ProxyMetrics],
})
export class OpsModule {}
