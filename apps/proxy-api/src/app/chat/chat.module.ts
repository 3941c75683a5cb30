import { AuthModule } from '@lmarena-bridge/auth';
import { UsageModule } from '@lmarena-bridge/usage';
import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { BearerStrategy } from '../auth/bearer.strategy';
import { ProxyAuthGuard } from '../auth/proxy-auth.guard';
import { TokenCache } from '../auth/token-cache.service';
import { BridgeModule } from '../bridge/bridge.module';
import { ModelsModule } from '../models/models.module';
import { ProvidersService } from '../providers/providers.service';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

@Module({
  imports: [PassportModule, AuthModule, UsageModule, ModelsModule, BridgeModule],
  controllers: [ChatController],
  providers: [ChatService, ProvidersService, TokenCache, BearerStrategy, ProxyAuthGuard],
})
export class ChatModule {}
