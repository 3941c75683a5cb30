import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'lmb-tokens-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>API tokens</h1>
    <p>Create and revoke the tokens your OpenAI clients use.</p>
  `,
})
export class TokensPage {}
