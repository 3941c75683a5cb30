import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'lmb-dashboard-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Dashboard</h1>
    <p>Requests, tokens and response times of the last 30 days.</p>
  `,
})
export class DashboardPage {}
