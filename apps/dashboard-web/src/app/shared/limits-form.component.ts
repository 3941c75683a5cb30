import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { AbstractControl, ReactiveFormsModule } from '@angular/forms';
import { LIST_ENTRIES_MAX, limitErrorMessage, LimitKey, LimitsFormGroup } from './limits-form';

interface LimitField {
  key: LimitKey;
  label: string;
  help: string;
  inputmode: 'numeric' | 'decimal';
}

const NUMBER_FIELDS: readonly LimitField[] = [
  { key: 'rpm', label: 'Requests per minute', help: 'rpm; bursts up to this many, refilled over a minute.', inputmode: 'numeric' },
  { key: 'tpm', label: 'Tokens per minute', help: 'tpm; prompt and completion tokens.', inputmode: 'numeric' },
  { key: 'max_parallel', label: 'Max parallel requests', help: 'Requests in flight at once.', inputmode: 'numeric' },
  { key: 'daily_requests', label: 'Requests per day', help: 'Resets at 00:00 UTC.', inputmode: 'numeric' },
  { key: 'monthly_tokens', label: 'Tokens per month', help: 'Resets on the 1st, UTC.', inputmode: 'numeric' },
  { key: 'monthly_budget_usd', label: 'Monthly budget (USD)', help: 'Priced from the models’ prices; resets on the 1st.', inputmode: 'decimal' },
];

/**
 * The limits fields (a token's limits or a user's caps), bound to a group made by
 * `limitsForm()` that the dialog owns and submits. Every field empty means unlimited; each
 * shows its own error once touched or after a submit. `idPrefix` keeps element ids unique when
 * two dialogs with this form are on one page. The dialog may reset or fill the group at any
 * time: a control's status and touched state are signals, so this OnPush view follows them.
 */
@Component({
  selector: 'lmb-limits-form',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <fieldset class="fieldset" [formGroup]="group()">
      <legend>{{ legend() }}</legend>
      <p class="field-help">{{ note() }} Leave a field empty for no limit; 0 refuses every request.</p>
      <div class="limits-grid">
        @for (f of numberFields; track f.key) {
          <div class="field">
            <label [for]="id(f.key)">{{ f.label }}</label>
            <input
              [id]="id(f.key)"
              [formControlName]="f.key"
              [attr.inputmode]="f.inputmode"
              autocomplete="off"
              placeholder="Unlimited"
              [attr.aria-invalid]="shows(f.key)"
              [attr.aria-describedby]="id(f.key) + '-help'"
            />
            <span class="field-help" [class.field-error]="shows(f.key)" [id]="id(f.key) + '-help'">{{ shows(f.key) ? message(f.key) : f.help }}</span>
          </div>
        }
      </div>
      <div class="field">
        <label [for]="id('allowed_models')">Allowed models</label>
        <input
          [id]="id('allowed_models')"
          formControlName="allowed_models"
          autocomplete="off"
          spellcheck="false"
          placeholder="Every model"
          [attr.aria-invalid]="shows('allowed_models')"
          [attr.aria-describedby]="id('allowed_models') + '-help'"
        />
        <span class="field-help" [class.field-error]="shows('allowed_models')" [id]="id('allowed_models') + '-help'">
          {{ shows('allowed_models') ? message('allowed_models') : 'Exact model names, separated by commas.' }}
        </span>
      </div>
      <div class="limits-grid">
        @for (f of ipFields; track f.key) {
          <div class="field">
            <label [for]="id(f.key)">{{ f.label }}</label>
            <textarea
              [id]="id(f.key)"
              [formControlName]="f.key"
              rows="3"
              spellcheck="false"
              [placeholder]="f.placeholder"
              [attr.aria-invalid]="shows(f.key)"
              [attr.aria-describedby]="id(f.key) + '-help'"
            ></textarea>
            <span class="field-help" [class.field-error]="shows(f.key)" [id]="id(f.key) + '-help'">{{ shows(f.key) ? message(f.key) : f.help }}</span>
          </div>
        }
      </div>
    </fieldset>
  `,
})
export class LimitsFormComponent {
  readonly group = input.required<LimitsFormGroup>();
  /** Prefix of the element ids, e.g. `create-limits`. */
  readonly idPrefix = input.required<string>();
  /** After a submit every invalid field shows its error, touched or not. */
  readonly submitted = input(false);
  readonly legend = input('Limits');
  readonly note = input('');

  protected readonly numberFields = NUMBER_FIELDS;
  protected readonly ipFields = [
    { key: 'allowed_ips', label: 'Allowed IPs', placeholder: 'Anywhere', help: `Addresses or CIDR ranges, one per line (at most ${LIST_ENTRIES_MAX}).` },
    { key: 'denied_ips', label: 'Denied IPs', placeholder: 'None', help: 'Refused even when allowed; one per line.' },
  ] as const;

  protected id(key: LimitKey): string {
    return `${this.idPrefix()}-${key.replace(/_/g, '-')}`;
  }

  private control(key: LimitKey): AbstractControl<string> {
    return this.group().controls[key];
  }

  protected shows(key: LimitKey): boolean {
    const c = this.control(key);
    return c.invalid && (c.touched || this.submitted());
  }

  protected message(key: LimitKey): string | null {
    return limitErrorMessage(this.control(key).errors);
  }
}
