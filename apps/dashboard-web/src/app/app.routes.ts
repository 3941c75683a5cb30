import { Route } from '@angular/router';

// Each page is its own lazily loaded chunk; deep links work because dashboard-api
// answers every non-API path with index.html.
export const appRoutes: Route[] = [
  { path: '', pathMatch: 'full', title: 'Sign in · LMArena Bridge', loadComponent: () => import('./pages/login/login.page').then((m) => m.LoginPage) },
  { path: 'dashboard', title: 'Dashboard · LMArena Bridge', loadComponent: () => import('./pages/dashboard/dashboard.page').then((m) => m.DashboardPage) },
  { path: 'tokens', title: 'Tokens · LMArena Bridge', loadComponent: () => import('./pages/tokens/tokens.page').then((m) => m.TokensPage) },
  { path: 'analytics', title: 'Analytics · LMArena Bridge', loadComponent: () => import('./pages/analytics/analytics.page').then((m) => m.AnalyticsPage) },
  { path: 'admin', title: 'Admin · LMArena Bridge', loadComponent: () => import('./pages/admin/admin.page').then((m) => m.AdminPage) },
  { path: '**', redirectTo: '' },
];
