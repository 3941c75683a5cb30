import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { App } from './app';
import { appRoutes } from './app.routes';
import { SessionStore } from './core/session.store';
import { unauthorizedInterceptor } from './core/unauthorized.interceptor';
import { anAdmin, aStatus, aUser } from './testing/builders';
import { button, settle } from './testing/dom';
import { expectSoon } from './testing/http';

describe('App shell', () => {
  let http: HttpTestingController;

  beforeEach(async () => {
    await TestBed.configureTestingModule({
      imports: [App],
      providers: [provideRouter(appRoutes), provideHttpClient(withInterceptors([unauthorizedInterceptor])), provideHttpClientTesting()],
    }).compileComponents();
    http = TestBed.inject(HttpTestingController);
  });

  const nav = (el: HTMLElement) => [...el.querySelectorAll('nav a')].map((a) => a.textContent?.trim());

  it('shows the measured server status', async () => {
    const fixture = TestBed.createComponent(App);
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[role=status]')?.textContent).toContain('Checking');
    http.expectOne('/api/status').flush(aStatus({ database: 'down', status: 'degraded' }));
    await fixture.whenStable();
    expect(el.querySelector('[role=status]')?.textContent).toContain('unreachable');
  });

  it('shows the navigation only when signed in, and Admin only to admins', async () => {
    const fixture = TestBed.createComponent(App);
    const session = TestBed.inject(SessionStore);
    const el = fixture.nativeElement as HTMLElement;
    session.signedOut();
    await fixture.whenStable();
    expect(nav(el)).toEqual([]);
    session.signedInAs(aUser({ username: 'bob' }));
    await fixture.whenStable();
    expect(nav(el)).toEqual(['Dashboard', 'Tokens', 'Analytics', 'Notifications']);
    expect(el.querySelector('[data-testid=current-user]')?.textContent).toContain('bob');
    session.signedInAs(anAdmin());
    await fixture.whenStable();
    expect(nav(el)).toEqual(['Dashboard', 'Tokens', 'Analytics', 'Notifications', 'Admin', 'Bridge']);
  });

  it('signs out: POST /api/auth/logout, forgets the user and goes to /', async () => {
    const fixture = TestBed.createComponent(App);
    const session = TestBed.inject(SessionStore);
    session.signedInAs(aUser());
    const router = TestBed.inject(Router);
    const navigate = jest.spyOn(router, 'navigateByUrl').mockResolvedValue(true);
    await fixture.whenStable();
    button(fixture, 'Sign out').click();
    http.expectOne({ method: 'POST', url: '/api/auth/logout' }).flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    expect(session.signedIn()).toBe(false);
    expect(session.notice()).toBe('You have signed out.');
    expect(navigate).toHaveBeenCalledWith('/');
  });

  it.each([
    ['/dashboard', 'Dashboard'],
    ['/tokens', 'API tokens'],
    ['/analytics', 'Analytics'],
    ['/notifications', 'Notifications'],
    ['/admin', 'Administration'],
    ['/bridge', 'LMArena bridge'],
  ])('routes %s to its page for a signed-in admin', async (url, heading) => {
    TestBed.inject(SessionStore).signedInAs(anAdmin());
    const fixture = TestBed.createComponent(App);
    await TestBed.inject(Router).navigateByUrl(url);
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('h1')?.textContent?.trim()).toBe(heading);
  });

  it.each(['/dashboard', '/tokens', '/analytics', '/admin', '/bridge'])('redirects a signed-out visitor from %s to the sign-in page', async (url) => {
    const fixture = TestBed.createComponent(App);
    const done = TestBed.inject(Router).navigateByUrl(url);
    (await expectSoon(http, '/api/auth/me')).flush({ statusCode: 401 }, { status: 401, statusText: 'Unauthorized' });
    await done;
    await fixture.whenStable();
    const router = TestBed.inject(Router);
    expect(router.url).toBe(`/?next=${encodeURIComponent(url)}`);
    expect((fixture.nativeElement as HTMLElement).querySelector('h1')?.textContent?.trim()).toBe('Sign in');
    expect((fixture.nativeElement as HTMLElement).querySelector('.alert-info')?.textContent?.trim()).toBe('Please sign in to continue.');
  });

  it('keeps ordinary users out of /admin and /bridge and sends unknown paths to /', async () => {
    TestBed.inject(SessionStore).signedInAs(aUser());
    const fixture = TestBed.createComponent(App);
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/admin');
    await fixture.whenStable();
    expect(router.url).toBe('/dashboard');
    await router.navigateByUrl('/bridge');
    await fixture.whenStable();
    expect(router.url).toBe('/dashboard');
    await router.navigateByUrl('/no/such/page');
    await fixture.whenStable();
    expect(router.url).toBe('/dashboard');
  });
});
