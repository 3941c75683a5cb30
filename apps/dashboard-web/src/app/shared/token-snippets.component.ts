import { ChangeDetectionStrategy, Component, computed, input, signal } from '@angular/core';
import { CopyButtonComponent } from './copy-button.component';
import { Snippet, tokenSnippets } from './token-snippets';

let nextId = 0;

/** Tabs with curl / Python / JavaScript examples filled with the proxy URL and a token. */
@Component({
  selector: 'lmb-token-snippets',
  imports: [CopyButtonComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="tabs" role="tablist" [attr.aria-label]="'Code examples'">
      @for (s of snippets(); track s.id) {
        <button
          type="button"
          role="tab"
          class="tab"
          [id]="uid + '-tab-' + s.id"
          [attr.aria-selected]="s.id === selected()"
          [attr.aria-controls]="uid + '-panel'"
          (click)="selected.set(s.id)"
        >
          {{ s.label }}
        </button>
      }
    </div>
    <div class="snippet" role="tabpanel" [id]="uid + '-panel'" [attr.aria-labelledby]="uid + '-tab-' + current().id">
      <pre><code [attr.data-snippet]="current().id">{{ current().code }}</code></pre>
      <lmb-copy-button [text]="current().code" [ariaLabel]="'Copy the ' + current().label + ' example'" />
    </div>
  `,
})
export class TokenSnippetsComponent {
  readonly baseUrl = input.required<string>();
  /** The new secret; null shows a placeholder. */
  readonly token = input<string | null>(null);
  protected readonly uid = `snippets-${++nextId}`;
  protected readonly selected = signal<Snippet['id']>('curl');
  protected readonly snippets = computed(() => tokenSnippets(this.baseUrl(), this.token()));
  protected readonly current = computed(() => this.snippets().find((s) => s.id === this.selected()) ?? this.snippets()[0]);
}
