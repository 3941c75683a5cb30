import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

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
