import { afterRenderEffect, ChangeDetectionStrategy, Component, ElementRef, input, output, viewChild } from '@angular/core';

let nextId = 0;

/**
 * A modal built on the native `<dialog>`: `showModal()` gives focus trapping, an inert
 * page behind it, focus on the first field (or an `autofocus` one), Escape to close and
 * focus returning to the opener, with no script in the markup. `aria-modal` is implied by
 * showModal(); it is spelled out for assistive technology that predates that. The parent
 * owns `open`; `closed` tells it the user closed the dialog.
 */
@Component({
  selector: 'lmb-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog class="dialog" aria-modal="true" [attr.aria-labelledby]="titleId" (close)="onClose()" (cancel)="onCancel($event)">
      <h2 class="dialog-title" [id]="titleId">{{ heading() }}</h2>
      <ng-content />
    </dialog>
  `,
})
export class DialogComponent {
  readonly open = input.required<boolean>();
  readonly heading = input.required<string>();
  /** false: Escape does nothing (e.g. while a request runs). */
  readonly dismissible = input(true);
  readonly closed = output<void>();

  protected readonly titleId = `lmb-dialog-${++nextId}`;
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  constructor() {
    afterRenderEffect({
      write: () => {
        const el = this.dialog().nativeElement;
        const open = this.open();
        if (open && !el.open) el.showModal();
        else if (!open && el.open) el.close();
      },
    });
  }

  protected onClose(): void {
    // Closed by the browser (Escape) while the parent still thinks it is open.
    if (this.open()) this.closed.emit();
  }

  protected onCancel(event: Event): void {
    if (!this.dismissible()) event.preventDefault();
  }
}
