import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { clientAddress } from './client-address';
import { SignInLimiter } from './sign-in-limiter.service';

/** The per-address credential throttle on routes without a password check (register, admin init). */
@Injectable()
export class AddressThrottleGuard implements CanActivate {
  constructor(private readonly limiter: SignInLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    await this.limiter.hitAddress(clientAddress(http.getRequest<Request>()), http.getResponse<Response>());
    return true;
  }
}
