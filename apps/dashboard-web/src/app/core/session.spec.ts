import { provideHttpClient, withInterceptors, HttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, provideRouter, Router, RouterStateSnapshot, UrlTree } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { anAdmin, aUser } from '../testing/builders';
import { adminGuard, authGuard, guestGuard, safeReturnUrl } from './auth.guard';
import { SessionStore } from './session.store';
import { SESSION_ENDED, unauthorizedInterceptor } from './unauthorized.interceptor';

@Component({ template: '' })
class Blank {}

describe('session handling', () => {
  let http: HttpTestingController;
  let session: SessionStore;
  let router: Router;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([unauthorizedInterceptor])),
        provideHttpClientTesting(),
        provideRouter([
          { path: '', component: Blank },
          { path: 'tokens', component: Blank },
          { path: 'dashboard', component: Blank },
        ]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    session = TestBed.inject(SessionStore);
    router = TestBed.inject(Router);
  });
  afterEach(() => http.verify());

  const state = (url: string) => ({ url }) as RouterStateSnapshot;
  const route = {} as ActivatedRouteSnapshot;
  const run = (guard: typeof authGuard, url: string) => TestBed.runInInjectionContext(() => guard(route, state(url))) as Promise<boolean | UrlTree>;
  const serialize = (result: boolean | UrlTree) => (typeof result === 'boolean' ? result : router.serializeUrl(result));

  describe('SessionStore', () => {
    it('asks GET /api/auth/me once and caches the answer in a signal', async () => {
      const user = aUser({ username: 'carol' });
      const first = session.load();
      const second = session.load();
      http.expectOne('/api/auth/me').flush(user);
      expect(await first).toEqual(user);
      expect(await second).toEqual(user);
      expect(await session.load()).toEqual(user);
      http.expectNone('/api/auth/me');
      expect(session.user()).toEqual(user);
      expect(session.signedIn()).toBe(true);
      expect(session.isAdmin()).toBe(false);
    });

    it('remembers a 401 as signed out', async () => {
      const result = session.load();
      http.expectOne('/api/auth/me').flush({ statusCode: 401 }, { status: 401, statusText: 'Unauthorized' });
      expect(await result).toBeNull();
      expect(await session.load()).toBeNull();
      http.expectNone('/api/auth/me');
    });

    it('asks again after a server failure and says why', async () => {
      const result = session.load();
      http.expectOne('/api/auth/me').flush(null, { status: 503, statusText: 'Unavailable' });
      expect(await result).toBeNull();
      expect(session.notice()).toContain('Could not check your session');
      const again = session.load();
      http.expectOne('/api/auth/me').flush(anAdmin());
      expect((await again)?.role).toBe('admin');
      expect(session.isAdmin()).toBe(true);
    });
  });

  describe('guards', () => {
    it('authGuard lets a signed-in user through', async () => {
      session.signedInAs(aUser());
      expect(await run(authGuard, '/tokens')).toBe(true);
    });

    it('authGuard sends a signed-out visitor to / with a message and the way back', async () => {
      const result = run(authGuard, '/tokens');
      http.expectOne('/api/auth/me').flush(null, { status: 401, statusText: 'Unauthorized' });
      expect(serialize(await result)).toBe('/?next=%2Ftokens');
      expect(session.notice()).toBe('Please sign in to continue.');
    });

    it('adminGuard: admins pass, users go to their dashboard, visitors to /', async () => {
      session.signedInAs(anAdmin());
      expect(await run(adminGuard, '/admin')).toBe(true);
      session.signedInAs(aUser());
      expect(serialize(await run(adminGuard, '/admin'))).toBe('/dashboard');
      session.signedOut();
      expect(serialize(await run(adminGuard, '/admin'))).toBe('/?next=%2Fadmin');
    });

    it('guestGuard sends a signed-in user from / to the dashboard', async () => {
      session.signedInAs(aUser());
      expect(serialize(await run(guestGuard, '/'))).toBe('/dashboard');
      session.signedOut();
      expect(await run(guestGuard, '/')).toBe(true);
    });

    it.each([
      ['/tokens', '/tokens'],
      ['/analytics?days=7', '/analytics?days=7'],
      ['/', null],
      ['//evil.example', null],
      ['/\\evil.example', null],
      ['https://evil.example', null],
      [undefined, null],
    ])('safeReturnUrl(%p) is %p', (url, expected) => {
      expect(safeReturnUrl(url)).toBe(expected);
    });
  });

  describe('unauthorizedInterceptor', () => {
    it('turns a 401 from an API call into a signed-out session and / with a message', async () => {
      session.signedInAs(aUser());
      await router.navigateByUrl('/tokens');
      const failed = firstValueFrom(TestBed.inject(HttpClient).get('/api/tokens')).catch((e: unknown) => e);
      http.expectOne('/api/tokens').flush({ statusCode: 401 }, { status: 401, statusText: 'Unauthorized' });
      expect(await failed).toMatchObject({ status: 401 });
      await new Promise((r) => setTimeout(r));
      expect(router.url).toBe('/?next=%2Ftokens');
      expect(session.signedIn()).toBe(false);
      expect(session.notice()).toBe(SESSION_ENDED);
    });

    it.each(['/api/auth/login', '/api/auth/me'])('leaves the 401 of %s to its caller', async (url) => {
      await router.navigateByUrl('/dashboard');
      const failed = firstValueFrom(TestBed.inject(HttpClient).post(url, {})).catch((e: unknown) => e);
      http.expectOne(url).flush({ statusCode: 401 }, { status: 401, statusText: 'Unauthorized' });
      expect(await failed).toMatchObject({ status: 401 });
      await new Promise((r) => setTimeout(r));
      expect(router.url).toBe('/dashboard');
      expect(session.notice()).toBeNull();
    });

    it('passes other errors through untouched', async () => {
      session.signedInAs(aUser());
      await router.navigateByUrl('/tokens');
      const failed = firstValueFrom(TestBed.inject(HttpClient).get('/api/tokens')).catch((e: unknown) => e);
      http.expectOne('/api/tokens').flush({ statusCode: 403 }, { status: 403, statusText: 'Forbidden' });
      expect(await failed).toMatchObject({ status: 403 });
      expect(router.url).toBe('/tokens');
      expect(session.signedIn()).toBe(true);
    });
  });
});
