import { AuthModule } from '@lmarena-bridge/auth';
import { UsageModule } from '@lmarena-bridge/usage';
import { Module } from '@nestjs/common';
import { BearerStrategy } from '../auth/bearer.strategy';
import { BridgeModule } from '../bridge/bridge.module';
import { TokenCache } from '../auth/token-cache.service';
import { OpenAiExceptionFilter } from '../errors/openai-exception.filter';
import { LimitsModule } from '../limits/limits.module';
import { ModelsModule } from '../models/models.module';
import { ProvidersService } from '../providers/providers.service';
import { AnswerStep } from './answer.step';
import { AuthenticateStep } from './authenticate.step';
import { FailStep } from './fail.step';
import { ForwardStep } from './forward.step';
import { PolicyStep } from './policy.step';
import { ProxyPipeline } from './proxy-pipeline';
import { ReadBodyStep } from './read-body.step';
import { RecordStep } from './record.step';
import { ResolveStep } from './resolve.step';

/** The request path shared by every proxied endpoint (proxy-pipeline.ts) and its steps. */
@Module({
  imports: [AuthModule, UsageModule, ModelsModule, BridgeModule, LimitsModule],
  providers: [
    TokenCache,
    BearerStrategy,
    ProvidersService,
    OpenAiExceptionFilter,
    AuthenticateStep,
    PolicyStep,
    ReadBodyStep,
    ResolveStep,
    ForwardStep,
    AnswerStep,
    RecordStep,
    FailStep,
    ProxyPipeline,
  ],
  exports: [ProxyPipeline, PolicyStep],
})
export class PipelineModule {}
