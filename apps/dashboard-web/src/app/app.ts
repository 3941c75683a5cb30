import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { catchError, firstValueFrom, map, of } from 'rxjs';
import { AuthApi } from './core/auth.api';
import { describeHttpError } from './core/http-error';
import { SessionStore } from './core/session.store';
import { StatusApi } from './core/status.api';

@Component({
  selector: 'lmb-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="shell-header">
      <a class="brand" [routerLink]="session.signedIn() ? '/dashboard' : '/'">LMArena Bridge</a>
      @if (session.user(); as user) {
        <nav aria-label="Main">
          <a routerLink="/dashboard" routerLinkActive="active" ariaCurrentWhenActive="page">Dashboard</a>
          <a routerLink="/tokens" routerLinkActive="active" ariaCurrentWhenActive="page">Tokens</a>
          <a routerLink="/analytics" routerLinkActive="active" ariaCurrentWhenActive="page">Analytics</a>
          <a routerLink="/notifications" routerLinkActive="active" ariaCurrentWhenActive="page">Notifications</a>
          @if (session.isAdmin()) {
            <a routerLink="/admin" routerLinkActive="active" ariaCurrentWhenActive="page">Admin</a>
            <a routerLink="/bridge" routerLinkActive="active" ariaCurrentWhenActive="page">Bridge</a>
          }
        </nav>
        <a class="who" routerLink="/account" title="Your account: password and sessions" data-testid="current-user"
          >{{ user.username }}
          @if (session.isAdmin()) {
            <span class="badge badge-info">admin</span>
          }
        </a>
        <button type="button" class="btn btn-small btn-on-dark" (click)="logout()" [disabled]="signingOut()">Sign out</button>
      } @else {
        <span class="spacer"></span>
      }
      <span class="server-status" [class.down]="!serverOk()" role="status">{{ serverText() }}</span>
    </header>
    <main class="shell-main" id="main" tabindex="-1">
      <router-outlet />
    </main>
  `,
  styles: `
    .shell-header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 1rem;
      padding: 0.75rem 1.25rem;
      background: #111827;
      color: #f9fafb;
    }
    .brand {
      font-weight: 700;
      color: inherit;
      text-decoration: none;
    }
    nav,
    .spacer {
      display: flex;
      gap: 0.25rem 0.75rem;
      flex: 1;
      flex-wrap: wrap;
    }
    nav a {
      color: #d1d5db;
      text-decoration: none;
      padding: 0.25rem 0.5rem;
      border-radius: 0.375rem;
    }
    nav a.active,
    nav a:hover,
    nav a:focus-visible {
      color: #fff;
      background: #374151;
    }
    .who {
      font-size: 0.9rem;
      color: #e5e7eb;
      text-decoration: none;
    }
    .who:hover,
    .who:focus-visible {
      text-decoration: underline;
    }
    .who .badge {
      margin-left: 0.35rem;
    }
    .server-status {
      font-size: 0.8rem;
      color: #86efac;
    }
    .server-status.down {
      color: #fca5a5;
    }
    .shell-main {
      max-width: 72rem;
      margin: 0 auto;
      padding: 1.25rem;
    }
    .shell-main:focus {
      outline: none;
    }
    @media (max-width: 40rem) {
      .shell-header {
        padding: 0.6rem 0.75rem;
      }
      nav {
        order: 3;
        flex-basis: 100%;
      }
      .shell-main {
        padding: 0.9rem 0.75rem;
      }
    }
  `,
})
export class App {
  protected readonly session = inject(SessionStore);
  private readonly auth = inject(AuthApi);
  private readonly router = inject(Router);
  protected readonly signingOut = signal(false);

  private readonly status = toSignal(
    inject(StatusApi)
      .status()
      .pipe(
        map((s) => s.database === 'ok'),
        catchError(() => of(false)),
      ),
  );
  protected readonly serverOk = () => this.status() !== false;
  protected readonly serverText = () =>
    this.status() === undefined ? 'Checking server…' : this.status() ? 'Server and database OK' : 'Server or database unreachable';

  protected async logout(): Promise<void> {
    this.signingOut.set(true);
    try {
      await firstValueFrom(this.auth.logout());
      this.session.signedOut('You have signed out.');
    } catch (err) {
      this.session.signedOut(`Signing out failed on the server: ${describeHttpError(err)}`);
    } finally {
      this.signingOut.set(false);
    }
    await this.router.navigateByUrl('/');
  }
}
