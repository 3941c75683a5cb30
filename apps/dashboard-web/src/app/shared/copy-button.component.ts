import { ChangeDetectionStrategy, Component, DestroyRef, inject, input, signal } from '@angular/core';

/** Copies `text` to the clipboard and says so (or says it could not). */
@Component({
  selector: 'lmb-copy-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button type="button" class="btn btn-small" (click)="copy()" [attr.aria-label]="ariaLabel()">
      {{ state() === 'copied' ? 'Copied' : state() === 'failed' ? 'Copy failed' : label() }}
    </button>
    <span class="visually-hidden" aria-live="polite">{{
      state() === 'copied' ? 'Copied to the clipboard' : state() === 'failed' ? 'Could not copy: select the text and copy it yourself' : ''
    }}</span>
  `,
})
export class CopyButtonComponent {
  readonly text = input.required<string>();
  readonly label = input('Copy');
  readonly ariaLabel = input<string | null>(null);
  protected readonly state = signal<'idle' | 'copied' | 'failed'>('idle');
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.timer));
  }

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.text());
      this.state.set('copied');
    } catch {
      this.state.set('failed');
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.state.set('idle'), 2500);
  }
}
