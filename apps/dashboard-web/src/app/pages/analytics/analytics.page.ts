import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'lmb-analytics-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Analytics</h1>
    <p>Charts and the request log.</p>
  `,
})
export class AnalyticsPage {}
