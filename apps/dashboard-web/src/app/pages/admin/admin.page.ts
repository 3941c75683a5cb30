import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'lmb-admin-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Administration</h1>
    <p>Users, roles and every token.</p>
  `,
})
export class AdminPage {}
