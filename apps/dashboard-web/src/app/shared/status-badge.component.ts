import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { TokenStatus } from '@lmarena-bridge/contracts';

/** A coloured pill: green for ok, red for errors, grey/amber for token states. */
@Component({
  selector: 'lmb-status-badge',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<span class="badge" [class]="cls()">{{ text() }}</span>`,
})
export class StatusBadgeComponent {
  readonly text = input.required<string>();
  readonly ok = input<boolean | null>(null);
  /** A token status decides the colour when given. */
  readonly tokenStatus = input<TokenStatus | 'disabled' | null>(null);
  protected readonly cls = computed(() => {
    const status = this.tokenStatus();
    if (status)
      return `badge ${status === 'active' ? 'badge-ok' : status === 'expired' ? 'badge-warn' : status === 'disabled' ? 'badge-error' : 'badge-muted'}`;
    return `badge ${this.ok() === null ? 'badge-muted' : this.ok() ? 'badge-ok' : 'badge-error'}`;
  });
}
