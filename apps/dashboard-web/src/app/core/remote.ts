import { computed, signal } from '@angular/core';
import { catchError, defer, EMPTY, finalize, Observable, tap } from 'rxjs';
import { describeHttpError } from './http-error';

/**
 * The state of one remote value for a page: the last value, whether a request is running,
 * and the last error. A refresh keeps the previous value on screen (no flicker); the
 * page shows a full loading state only before the first answer.
 */
export class Remote<T> {
  private readonly valueState = signal<T | undefined>(undefined);
  private readonly errorState = signal<string | null>(null);
  private readonly loadingState = signal(false);
  private readonly loadedAt = signal<Date | null>(null);

  readonly value = this.valueState.asReadonly();
  readonly error = this.errorState.asReadonly();
  readonly loading = this.loadingState.asReadonly();
  readonly updatedAt = this.loadedAt.asReadonly();
  /** Nothing to show yet and a request running. */
  readonly firstLoad = computed(() => this.loadingState() && this.valueState() === undefined);

  /**
   * The request as an observable that never errors (the error lands in `error`);
   * subscribe to run it. Unsubscribing cancels it.
   */
  run(request: Observable<T>): Observable<T> {
    return defer(() => {
      this.loadingState.set(true);
      return request.pipe(
        tap((value) => {
          this.valueState.set(value);
          this.errorState.set(null);
          this.loadedAt.set(new Date());
        }),
        catchError((err: unknown) => {
          this.errorState.set(describeHttpError(err));
          return EMPTY;
        }),
        finalize(() => this.loadingState.set(false)),
      );
    });
  }
}
