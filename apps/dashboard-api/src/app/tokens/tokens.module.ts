import { Module } from '@nestjs/common';
import { DashboardAuthModule } from '../auth/auth.module';
import { TokensController } from './tokens.controller';

@Module({ imports: [DashboardAuthModule], controllers: [TokensController] })
export class TokensModule {}
