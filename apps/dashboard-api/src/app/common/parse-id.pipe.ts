import { ArgumentMetadata, BadRequestException, createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import type { Request } from 'express';

/** The largest id the integer primary keys can hold (PostgreSQL `integer`). */
export const MAX_ID = 2_147_483_647;

/**
 * A route id: a whole number from 1 to MAX_ID, else 400 in the validation-error shape.
 * ParseIntPipe alone let ids past the column's range reach PostgreSQL, which answered
 * "out of range for type integer": a 500.
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown, metadata: ArgumentMetadata): number {
    const text = String(value);
    const id = Number(text);
    if (!/^\d{1,10}$/.test(text) || id < 1 || id > MAX_ID) {
      throw new BadRequestException([`${metadata.data ?? 'id'} must be an integer from 1 to ${MAX_ID}`]);
    }
    return id;
  }
}

/**
 * A route id read straight from the path, then checked by ParseIdPipe. `@Param('id',
 * ParseIdPipe) id: number` did not work as meant: the global ValidationPipe (transform: true)
 * runs first and turns a `number` param into `+value`, so "0x10" reached ParseIdPipe as 16 and
 * "1e3" as 1000 (DELETE /api/tokens/0x10 revoked token 16). Custom decorators are left alone
 * by the ValidationPipe.
 */
export const RouteId = createParamDecorator((name: string, ctx: ExecutionContext): number =>
  new ParseIdPipe().transform(ctx.switchToHttp().getRequest<Request>().params[name], { type: 'param', data: name }),
);
