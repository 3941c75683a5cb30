import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aCreatedToken, anAdminToken, anAdminUser, aLog, aSummary, aToken, aUser } from '../testing/builders';
import { AdminApi } from './admin.api';
import { AuthApi } from './auth.api';
import { TokensApi } from './tokens.api';
import { UsageApi } from './usage.api';

describe('API services', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => http.verify());

  describe('AuthApi', () => {
    it('signs in with username and password and unwraps the user', async () => {
      const user = aUser();
      const result = firstValueFrom(TestBed.inject(AuthApi).login('alice', 'correct horse'));
      const req = http.expectOne('/api/auth/login');
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual({ username: 'alice', password: 'correct horse' });
      req.flush({ user });
      expect(await result).toEqual(user);
    });

    it.each([
      ['register', '/api/auth/register'],
      ['initAdmin', '/api/admin/init'],
    ] as const)('%s posts the new account to %s', async (method, url) => {
      const user = aUser();
      const account = { username: 'alice', email: 'a@example.com', password: 'correct horse' };
      const result = firstValueFrom(TestBed.inject(AuthApi)[method](account));
      const req = http.expectOne(url);
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual(account);
      req.flush({ user }, { status: 201, statusText: 'Created' });
      expect(await result).toEqual(user);
    });

    it('asks who is signed in and signs out', async () => {
      const api = TestBed.inject(AuthApi);
      const me = firstValueFrom(api.me());
      http.expectOne({ method: 'GET', url: '/api/auth/me' }).flush(aUser({ username: 'bob' }));
      expect((await me).username).toBe('bob');
      const out = firstValueFrom(api.logout(), { defaultValue: undefined });
      http.expectOne({ method: 'POST', url: '/api/auth/logout' }).flush(null, { status: 204, statusText: 'No Content' });
      await out;
    });
  });

  describe('TokensApi', () => {
    it('lists, creates and revokes', async () => {
      const api = TestBed.inject(TokensApi);
      const tokens = [aToken(), aToken()];
      const list = firstValueFrom(api.list());
      http.expectOne({ method: 'GET', url: '/api/tokens' }).flush({ tokens });
      expect(await list).toEqual(tokens);

      const created = aCreatedToken({ name: 'ci' });
      const create = firstValueFrom(api.create({ name: 'ci', expires_at: '2027-01-01T00:00:00.000Z' }));
      const req = http.expectOne({ method: 'POST', url: '/api/tokens' });
      expect(req.request.body).toEqual({ name: 'ci', expires_at: '2027-01-01T00:00:00.000Z' });
      req.flush(created);
      expect((await create).token).toBe(created.token);

      const revoke = firstValueFrom(api.revoke(7), { defaultValue: undefined });
      http.expectOne({ method: 'DELETE', url: '/api/tokens/7' }).flush(null, { status: 204, statusText: 'No Content' });
      await revoke;
    });
  });

  describe('UsageApi', () => {
    it('asks for a summary of n days, widened for admins with scope=all', async () => {
      const api = TestBed.inject(UsageApi);
      const summary = aSummary();
      const mine = firstValueFrom(api.summary(7));
      http.expectOne('/api/usage/summary?days=7').flush(summary);
      expect(await mine).toEqual(summary);
      const all = firstValueFrom(api.summary(30, 'all'));
      http.expectOne('/api/usage/summary?days=30&scope=all').flush(summary);
      await all;
    });

    it('sends only the log filters that are set', async () => {
      const api = TestBed.inject(UsageApi);
      const page = { logs: [aLog()], next_cursor: 'abc' };
      const first = firstValueFrom(api.logs({ limit: 50, q: 'timeout', model: '', token_id: 3, status: 'error', cursor: undefined }));
      const req = http.expectOne((r) => r.url === '/api/usage/logs');
      expect(req.request.params.keys().sort()).toEqual(['limit', 'q', 'status', 'token_id']);
      expect(req.request.urlWithParams).toBe('/api/usage/logs?limit=50&q=timeout&token_id=3&status=error');
      req.flush(page);
      expect(await first).toEqual(page);
    });

    it('builds the export link for the range and format', () => {
      const api = TestBed.inject(UsageApi);
      expect(api.exportUrl(30)).toBe('/api/usage/export?days=30&format=csv');
      expect(api.exportUrl(7, 'json')).toBe('/api/usage/export?days=7&format=json');
    });
  });

  describe('limits', () => {
    it('patches a token and gets the stored token back', async () => {
      const stored = aToken({ id: 3 });
      const patched = firstValueFrom(TestBed.inject(TokensApi).update(3, { limits: { rpm: 5, tpm: null } }));
      const req = http.expectOne({ method: 'PATCH', url: '/api/tokens/3' });
      expect(req.request.body).toEqual({ limits: { rpm: 5, tpm: null } });
      req.flush(stored);
      expect(await patched).toEqual(stored);
    });

    it('reads and replaces the proxy-wide deny list, unwrapping the ranges', async () => {
      const api = TestBed.inject(AdminApi);
      const got = firstValueFrom(api.ipDenylist());
      http.expectOne({ method: 'GET', url: '/api/admin/ip-denylist' }).flush({ ranges: ['192.0.2.1'] });
      expect(await got).toEqual(['192.0.2.1']);
      const put = firstValueFrom(api.setIpDenylist(['10.1.2.3/8']));
      const req = http.expectOne({ method: 'PUT', url: '/api/admin/ip-denylist' });
      expect(req.request.body).toEqual({ ranges: ['10.1.2.3/8'] });
      req.flush({ ranges: ['10.0.0.0/8'] });
      expect(await put).toEqual(['10.0.0.0/8']);
    });
  });

  describe('AdminApi', () => {
    it('lists users and tokens, changes a user and revokes any token', async () => {
      const api = TestBed.inject(AdminApi);
      const users = [anAdminUser({ token_count: 2 })];
      const u = firstValueFrom(api.users());
      http.expectOne({ method: 'GET', url: '/api/admin/users' }).flush({ users });
      expect(await u).toEqual(users);

      const tokens = [anAdminToken()];
      const t = firstValueFrom(api.tokens());
      http.expectOne({ method: 'GET', url: '/api/admin/tokens' }).flush({ tokens });
      expect(await t).toEqual(tokens);

      const patched = firstValueFrom(api.updateUser(5, { disabled: true }));
      const req = http.expectOne({ method: 'PATCH', url: '/api/admin/users/5' });
      expect(req.request.body).toEqual({ disabled: true });
      req.flush(aUser({ id: 5 }));
      expect((await patched).id).toBe(5);

      const revoke = firstValueFrom(api.revokeToken(9), { defaultValue: undefined });
      http.expectOne({ method: 'DELETE', url: '/api/tokens/9' }).flush(null, { status: 204, statusText: 'No Content' });
      await revoke;
    });
  });
});
