import { HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';

/** 429 in the dashboard's error shape, with a standard Retry-After (whole seconds). */
export function tooManyAttempts(res: Response, retryAfterMs: number): HttpException {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  res.setHeader('Retry-After', String(seconds));
  return new HttpException(
    { statusCode: 429, error: 'Too Many Requests', message: `Too many attempts. Try again in ${seconds} s.` },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
