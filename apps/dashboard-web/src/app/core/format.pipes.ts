import { Pipe, PipeTransform } from '@angular/core';
import { formatCount, formatDate, formatDateTime, formatDay, formatMs, formatNumber, formatPercent, formatUsd, modelLabel } from './format';

// Pure pipes over the Intl helpers in format.ts (the user's locale).

@Pipe({ name: 'localDateTime' })
export class LocalDateTimePipe implements PipeTransform {
  transform(iso: string | null | undefined): string {
    return formatDateTime(iso);
  }
}

@Pipe({ name: 'localDate' })
export class LocalDatePipe implements PipeTransform {
  transform(iso: string | null | undefined): string {
    return formatDate(iso);
  }
}

@Pipe({ name: 'utcDay' })
export class UtcDayPipe implements PipeTransform {
  transform(day: string): string {
    return formatDay(day);
  }
}

@Pipe({ name: 'num' })
export class NumberPipe implements PipeTransform {
  transform(n: number | null | undefined): string {
    return formatNumber(n);
  }
}

@Pipe({ name: 'ms' })
export class MsPipe implements PipeTransform {
  transform(ms: number | null | undefined): string {
    return formatMs(ms);
  }
}

@Pipe({ name: 'usd' })
export class UsdPipe implements PipeTransform {
  transform(usd: number | null | undefined): string {
    return formatUsd(usd);
  }
}

@Pipe({ name: 'pct' })
export class PctPipe implements PipeTransform {
  transform(ratio: number | null | undefined): string {
    return formatPercent(ratio);
  }
}

@Pipe({ name: 'count' })
export class CountPipe implements PipeTransform {
  transform(n: number, one: string, other: string): string {
    return formatCount(n, one, other);
  }
}

/** A usage row's model, "(no model)" when the request named none. */
@Pipe({ name: 'model' })
export class ModelPipe implements PipeTransform {
  transform(model: string | null | undefined): string {
    return modelLabel(model);
  }
}
