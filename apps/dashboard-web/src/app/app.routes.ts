import { Route } from '@angular/router';
import { adminGuard, authGuard, guestGuard } from './core/auth.guard';

// Each page is its own lazily loaded chunk (Chart.js loads with the pages that draw);
// deep links work because dashboard-api answers every non-API path with index.html.
export const appRoutes: Route[] = [
  {
    path: '',
    pathMatch: 'full',
    title: 'Sign in · LMArena Bridge',
    canActivate: [guestGuard],
    loadComponent: () => import('./pages/login/login.page').then((m) => m.LoginPage),
  },
  {
    path: 'dashboard',
    title: 'Dashboard · LMArena Bridge',
    canActivate: [authGuard],
    loadComponent: () => import('./pages/dashboard/dashboard.page').then((m) => m.DashboardPage),
  },
  {
    path: 'tokens',
    title: 'Tokens · LMArena Bridge',
    canActivate: [authGuard],
    loadComponent: () => import('./pages/tokens/tokens.page').then((m) => m.TokensPage),
  },
  {
    path: 'analytics',
    title: 'Analytics · LMArena Bridge',
    canActivate: [authGuard],
    loadComponent: () => import('./pages/analytics/analytics.page').then((m) => m.AnalyticsPage),
  },
  {
    path: 'notifications',
    title: 'Notifications · LMArena Bridge',
    canActivate: [authGuard],
    loadComponent: () => import('./pages/notifications/notifications.page').then((m) => m.NotificationsPage),
  },
  {
    path: 'account',
    title: 'Account · LMArena Bridge',
    canActivate: [authGuard],
    loadComponent: () => import('./pages/account/account.page').then((m) => m.AccountPage),
  },
  {
    path: 'admin',
    title: 'Admin · LMArena Bridge',
    canActivate: [adminGuard],
    loadComponent: () => import('./pages/admin/admin.page').then((m) => m.AdminPage),
  },
  {
    path: 'bridge',
    title: 'Bridge · LMArena Bridge',
    canActivate: [adminGuard],
    loadComponent: () => import('./pages/bridge/bridge.page').then((m) => m.BridgePage),
  },
  { path: '**', redirectTo: '' },
];
