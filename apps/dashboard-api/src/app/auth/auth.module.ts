import { AuthModule as AuthRulesModule } from '@lmarena-bridge/auth';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AddressThrottleGuard } from '../common/address-throttle.guard';
import { BodyDepthGuard } from '../common/body-depth.guard';
import { HttpExceptionFilter } from '../common/http-exception.filter';
import { SameOriginGuard } from '../common/same-origin.guard';
import { SessionGuard } from '../common/session.guard';
import { SignInLimiter } from '../common/sign-in-limiter.service';
import { AuthController } from './auth.controller';
import { BootstrapAdminService } from './bootstrap-admin.service';

@Module({
  imports: [AuthRulesModule],
  controllers: [AuthController],
  providers: [
    BootstrapAdminService,
    SignInLimiter,
    AddressThrottleGuard,
    // Order matters: refuse bodies too deep to validate, then cross-origin writes, then
    // require a session.
    { provide: APP_GUARD, useClass: BodyDepthGuard },
    { provide: APP_GUARD, useClass: SameOriginGuard },
    { provide: APP_GUARD, useClass: SessionGuard },
    // Errors in the documented {statusCode, error, message} shape, body-parser's included.
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
  ],
  exports: [AuthRulesModule, SignInLimiter],
})
export class DashboardAuthModule {}
