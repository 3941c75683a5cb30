import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { catchError, map, of } from 'rxjs';
import { StatusApi } from './core/status.api';

@Component({
  selector: 'lmb-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="shell-header">
      <a class="brand" routerLink="/">LMArena Bridge</a>
      <nav aria-label="Main">
        <a routerLink="/dashboard" routerLinkActive="active">Dashboard</a>
        <a routerLink="/tokens" routerLinkActive="active">Tokens</a>
        <a routerLink="/analytics" routerLinkActive="active">Analytics</a>
        <a routerLink="/admin" routerLinkActive="active">Admin</a>
      </nav>
      <span class="server-status" [class.down]="!serverOk()" role="status">{{ serverText() }}</span>
    </header>
    <main class="shell-main">
      <router-outlet />
    </main>
  `,
  styles: `
    .shell-header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: 0.75rem 1.25rem;
      background: #111827; color: #f9fafb; }
    .brand { font-weight: 700; color: inherit; text-decoration: none; }
    nav { display: flex; gap: 0.75rem; flex: 1; flex-wrap: wrap; }
    nav a { color: #d1d5db; text-decoration: none; padding: 0.25rem 0.5rem; border-radius: 0.375rem; }
    nav a.active, nav a:hover, nav a:focus-visible { color: #fff; background: #374151; }
    .server-status { font-size: 0.85rem; color: #86efac; }
    .server-status.down { color: #fca5a5; }
    .shell-main { max-width: 72rem; margin: 0 auto; padding: 1.25rem; }
  `,
})
export class App {
  private readonly status = toSignal(
    inject(StatusApi).status().pipe(
      map((s) => s.database === 'ok'),
      catchError(() => of(false)),
    ),
  );
  protected readonly serverOk = () => this.status() !== false;
  protected readonly serverText = () =>
    this.status() === undefined ? 'Checking server…' : this.status() ? 'Server and database OK' : 'Server or database unreachable';
}
