import { BridgeModule as BridgeDataModule } from '@lmarena-bridge/bridge';
import { Module } from '@nestjs/common';
import { DashboardAuthModule } from '../auth/auth.module';
import { BridgeController } from './bridge.controller';
import { BridgeDashboardService } from './bridge.service';

@Module({ imports: [DashboardAuthModule, BridgeDataModule], controllers: [BridgeController], providers: [BridgeDashboardService] })
export class BridgeDashboardModule {}
