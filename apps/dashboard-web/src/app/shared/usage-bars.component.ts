import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { TokenLimits, UsageNow } from '@lmarena-bridge/contracts';
import { restrictionLines, usageBars } from './usage-bars';

/**
 * A token's counted limits as bars of what it used against each (only the limits that are
 * set), then its model and IP restrictions as text. Each bar is a progressbar whose value
 * text ("412 / 600 rpm") is what the eye reads beside it; it turns warning from 80 % and
 * danger at 100 %.
 */
@Component({
  selector: 'lmb-usage-bars',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (bars().length || restrictions().length) {
      <ul class="meters">
        @for (b of bars(); track b.key) {
          <li
            class="meter"
            [class.meter-warn]="b.level === 'warn'"
            [class.meter-danger]="b.level === 'danger'"
            [attr.data-limit]="b.key"
            [attr.data-level]="b.level"
          >
            <span
              class="meter-track"
              role="progressbar"
              aria-valuemin="0"
              [attr.aria-valuemax]="b.max"
              [attr.aria-valuenow]="b.ariaValue"
              [attr.aria-valuetext]="b.text"
              [attr.aria-label]="b.name"
            >
              <span class="meter-fill" [style.width.%]="b.percent"></span>
            </span>
            <span class="meter-text" aria-hidden="true">{{ b.text }}</span>
          </li>
        }
      </ul>
      @for (line of restrictions(); track line) {
        <div class="meter-note wrap-text">{{ line }}</div>
      }
    } @else {
      <span class="muted">Unlimited</span>
    }
  `,
})
export class UsageBarsComponent {
  readonly limits = input.required<TokenLimits>();
  readonly usage = input.required<UsageNow>();

  protected readonly bars = computed(() => usageBars(this.limits(), this.usage()));
  protected readonly restrictions = computed(() => restrictionLines(this.limits()));
}
