import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Response } from 'express';

/**
 * @nestjs/throttler for the credential routes, answering 429 with a standard Retry-After
 * header (seconds) and the dashboard's error shape.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const res = context.switchToHttp().getResponse<Response>();
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    res.setHeader('Retry-After', String(seconds));
    throw new HttpException(
      { statusCode: 429, error: 'Too Many Requests', message: `Too many attempts. Try again in ${seconds} s.` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
