import { BadRequestException, CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';

/** Deepest JSON nesting a dashboard request body may have; every DTO is flat. */
export const MAX_BODY_DEPTH = 32;

/** The nesting depth of a parsed JSON value, measured without recursion (stops past `limit`). */
export function jsonDepth(value: unknown, limit = MAX_BODY_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Refuses a JSON body nested deeper than MAX_BODY_DEPTH with a 400 before anything walks it:
 * the ValidationPipe strips prototype keys recursively, and a body of a few thousand nested
 * arrays (well under the 100 kB limit) overflowed the stack: a 500.
 */
@Injectable()
export class BodyDepthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body: unknown = context.switchToHttp().getRequest<Request>().body;
    if (jsonDepth(body) > MAX_BODY_DEPTH) throw new BadRequestException([`the request body must not be nested deeper than ${MAX_BODY_DEPTH} levels`]);
    return true;
  }
}
