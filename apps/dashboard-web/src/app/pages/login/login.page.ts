import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'lmb-login-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Sign in</h1>
    <p>Sign in or create an account to manage your sk-lmarena tokens.</p>
  `,
})
export class LoginPage {}
