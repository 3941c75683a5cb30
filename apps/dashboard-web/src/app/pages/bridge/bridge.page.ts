import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, InjectionToken, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import type { BridgeBrowser, BridgeKey, BridgeModel, BridgeState } from '@lmarena-bridge/contracts';
import { exhaustMap, firstValueFrom, interval, startWith, Subject, switchMap } from 'rxjs';
import { BridgeApi, USERSCRIPT_FILENAME } from '../../core/bridge.api';
import { FileSaver } from '../../core/file-saver';
import { LocalDateTimePipe, NumberPipe } from '../../core/format.pipes';
import { describeHttpError } from '../../core/http-error';
import { Remote } from '../../core/remote';
import { ConfirmDialogComponent } from '../../shared/confirm-dialog.component';
import { CopyButtonComponent } from '../../shared/copy-button.component';
import { DialogComponent } from '../../shared/dialog.component';
import { StatusBadgeComponent } from '../../shared/status-badge.component';
import { filterModels, isImageModel, modelName, modelsJsonLine } from './bridge-models';

/** How often the page re-reads the bridge state while it is open (ms). */
export const BRIDGE_REFRESH_MS = new InjectionToken<number>('BRIDGE_REFRESH_MS', { providedIn: 'root', factory: () => 5_000 });
export const BRIDGE_KEY_NAME_MAX = 100;
/** Where the userscript runs: the site's current address. */
export const ARENA_URL = 'https://arena.ai';

@Component({
  selector: 'lmb-bridge-page',
  imports: [ReactiveFormsModule, LocalDateTimePipe, NumberPipe, StatusBadgeComponent, DialogComponent, ConfirmDialogComponent, CopyButtonComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './bridge.page.html',
  styles: `
    .steps {
      margin: 0.5rem 0 0;
      padding-left: 1.4rem;
      display: grid;
      gap: 0.4rem;
    }
    .models-filter {
      max-width: 20rem;
      margin-bottom: 0.75rem;
    }
  `,
})
export class BridgePage {
  private readonly api = inject(BridgeApi);
  private readonly files = inject(FileSaver);
  private readonly destroyRef = inject(DestroyRef);
  protected readonly arenaUrl = ARENA_URL;
  protected readonly filename = USERSCRIPT_FILENAME;
  protected readonly nameMax = BRIDGE_KEY_NAME_MAX;

  protected readonly state = new Remote<BridgeState>();
  private readonly refreshNow = new Subject<void>();

  protected readonly installOpen = signal(false);
  protected readonly installBusy = signal(false);
  protected readonly installError = signal<string | null>(null);
  protected readonly installSubmitted = signal(false);
  protected readonly installed = signal<string | null>(null);
  protected readonly installForm = inject(NonNullableFormBuilder).group({
    name: ['', [Validators.required, Validators.maxLength(BRIDGE_KEY_NAME_MAX), Validators.pattern(/\S/)]],
  });

  protected readonly revokeTarget = signal<BridgeKey | null>(null);
  protected readonly revokeBusy = signal(false);
  protected readonly revokeError = signal<string | null>(null);
  protected readonly done = signal<string | null>(null);

  protected readonly modelFilter = signal('');
  protected readonly shownModels = computed(() => filterModels(this.state.value()?.models ?? [], this.modelFilter()));
  private readonly keyNames = computed(() => new Map((this.state.value()?.keys ?? []).map((k) => [k.id, k.name])));
  protected readonly activeKeys = computed(() => (this.state.value()?.keys ?? []).filter((k) => !k.revoked_at).length);

  protected readonly isImageModel = isImageModel;
  protected readonly modelName = modelName;
  protected readonly modelsJsonLine = modelsJsonLine;

  constructor() {
    const every = inject(BRIDGE_REFRESH_MS);
    // Re-read while the page is open; a tick during a slow answer is skipped and the last
    // state stays on screen. Leaving the page stops the timer (takeUntilDestroyed).
    this.refreshNow
      .pipe(
        startWith(undefined),
        switchMap(() => interval(every).pipe(startWith(0))),
        exhaustMap(() => this.state.run(this.api.state())),
        takeUntilDestroyed(),
      )
      .subscribe();
  }

  protected refresh(): void {
    this.refreshNow.next();
  }

  /** The key a browser authenticated with, by name; the shared secret has none. */
  protected keyLabel(browser: BridgeBrowser): string {
    if (browser.key_id === null) return 'shared secret (config)';
    return this.keyNames().get(browser.key_id) ?? `key #${browser.key_id}`;
  }

  protected modelsJsonAria(model: BridgeModel): string {
    return `Copy the models.json line of ${modelName(model)}`;
  }

  protected onFilter(event: Event): void {
    this.modelFilter.set((event.target as HTMLInputElement).value);
  }

  protected openInstall(): void {
    this.installForm.reset();
    this.installError.set(null);
    this.installSubmitted.set(false);
    this.installOpen.set(true);
  }

  protected closeInstall(): void {
    if (!this.installBusy()) this.installOpen.set(false);
  }

  protected nameInvalid(): boolean {
    const c = this.installForm.controls.name;
    return c.invalid && (c.touched || this.installSubmitted());
  }

  protected async install(): Promise<void> {
    this.installSubmitted.set(true);
    if (this.installForm.invalid || this.installBusy()) return;
    const name = this.installForm.getRawValue().name.trim();
    this.installBusy.set(true);
    this.installError.set(null);
    try {
      const script = await firstValueFrom(this.api.userscript(name));
      this.files.save(script, USERSCRIPT_FILENAME, 'text/javascript');
      this.installOpen.set(false);
      this.installed.set(name);
      this.done.set(null);
      this.refresh();
    } catch (err) {
      this.installError.set(describeHttpError(err));
    } finally {
      this.installBusy.set(false);
    }
  }

  protected askRevoke(key: BridgeKey): void {
    this.revokeError.set(null);
    this.done.set(null);
    this.revokeTarget.set(key);
  }

  protected cancelRevoke(): void {
    if (!this.revokeBusy()) this.revokeTarget.set(null);
  }

  protected async confirmRevoke(): Promise<void> {
    const key = this.revokeTarget();
    if (!key || this.revokeBusy()) return;
    this.revokeBusy.set(true);
    this.revokeError.set(null);
    try {
      await firstValueFrom(this.api.revokeKey(key.id), { defaultValue: undefined });
      this.revokeTarget.set(null);
      this.done.set(`Bridge key “${key.name}” revoked: its browsers are disconnected.`);
      this.refresh();
    } catch (err) {
      this.revokeError.set(describeHttpError(err));
    } finally {
      this.revokeBusy.set(false);
    }
  }
}
