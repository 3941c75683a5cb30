import { Module } from '@nestjs/common';
import { DashboardAuthModule } from '../auth/auth.module';
import { TokenViewsModule } from '../tokens/token-views.module';
import { AdminController } from './admin.controller';

@Module({ imports: [DashboardAuthModule, TokenViewsModule], controllers: [AdminController] })
export class AdminModule {}
