import { Module } from '@nestjs/common';
import { DashboardAuthModule } from '../auth/auth.module';
import { TokenViewsModule } from './token-views.module';
import { TokensController } from './tokens.controller';

@Module({ imports: [DashboardAuthModule, TokenViewsModule], controllers: [TokensController] })
export class TokensModule {}
