import { Module } from '@nestjs/common';
import { DashboardAuthModule } from '../auth/auth.module';
import { AdminController } from './admin.controller';

@Module({ imports: [DashboardAuthModule], controllers: [AdminController] })
export class AdminModule {}
