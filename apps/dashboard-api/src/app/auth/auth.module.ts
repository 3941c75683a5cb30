import { AuthModule as AuthRulesModule } from '@lmarena-bridge/auth';
import { AppConfig, APP_CONFIG } from '@lmarena-bridge/config';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import { AuthThrottlerGuard } from '../common/auth-throttler.guard';
import { BodyDepthGuard } from '../common/body-depth.guard';
import { HttpExceptionFilter } from '../common/http-exception.filter';
import { SameOriginGuard } from '../common/same-origin.guard';
import { SessionGuard } from '../common/session.guard';
import { AuthController } from './auth.controller';
import { BootstrapAdminService } from './bootstrap-admin.service';

const MINUTE_MS = 60_000;

function usernameOf(req: Request): string {
  const body = req.body as { username?: unknown } | undefined;
  return typeof body?.username === 'string' ? body.username.toLowerCase().slice(0, 254) : '';
}

@Module({
  imports: [
    AuthRulesModule,
    // Two limits on the credential routes: per client IP and per username tried.
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => [
        { name: 'ip', ttl: MINUTE_MS, limit: config.dashboard.auth_requests_per_minute },
        {
          name: 'username',
          ttl: MINUTE_MS,
          limit: config.dashboard.login_attempts_per_minute,
          getTracker: (req: Record<string, unknown>) => `user:${usernameOf(req as unknown as Request)}`,
        },
      ],
    }),
  ],
  controllers: [AuthController],
  providers: [
    BootstrapAdminService,
    AuthThrottlerGuard,
    // Order matters: refuse bodies too deep to validate, then cross-origin writes, then
    // require a session.
    { provide: APP_GUARD, useClass: BodyDepthGuard },
    { provide: APP_GUARD, useClass: SameOriginGuard },
    { provide: APP_GUARD, useClass: SessionGuard },
    // Errors in the documented {statusCode, error, message} shape, body-parser's included.
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
  ],
  exports: [AuthRulesModule],
})
export class DashboardAuthModule {}
