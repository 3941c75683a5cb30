import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { DialogComponent } from './dialog.component';

/** "Are you sure?" with the consequence spelled out, a busy state and the API's error. */
@Component({
  selector: 'lmb-confirm-dialog',
  imports: [DialogComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <lmb-dialog [open]="open()" [heading]="heading()" [dismissible]="!busy()" (closed)="cancelled.emit()">
      <p class="dialog-message">{{ message() }}</p>
      @if (error()) {
        <p class="alert alert-error" role="alert">{{ error() }}</p>
      }
      <div class="dialog-actions">
        <button type="button" class="btn" (click)="cancelled.emit()" [disabled]="busy()">Cancel</button>
        <button type="button" class="btn" [class.btn-danger]="danger()" [class.btn-primary]="!danger()" (click)="confirmed.emit()" [disabled]="busy()">
          {{ busy() ? 'Working…' : confirmLabel() }}
        </button>
      </div>
    </lmb-dialog>
  `,
})
export class ConfirmDialogComponent {
  readonly open = input.required<boolean>();
  readonly heading = input.required<string>();
  readonly message = input.required<string>();
  readonly confirmLabel = input('Confirm');
  readonly danger = input(false);
  readonly busy = input(false);
  readonly error = input<string | null>(null);
  readonly confirmed = output<void>();
  readonly cancelled = output<void>();
}
