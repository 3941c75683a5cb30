import { Global, Module } from '@nestjs/common';
import { DashboardMetrics } from './dashboard-metrics.service';
import { OpsController } from './ops.controller';

/** /healthz, /readyz and /metrics of the dashboard. */
@Global()
@Module({ controllers: [OpsController], providers: [DashboardMetrics], exports: [DashboardMetrics] })
export class OpsModule {}
