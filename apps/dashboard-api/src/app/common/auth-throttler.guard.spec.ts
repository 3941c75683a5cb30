import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import type { Response } from 'supertest';
import { aUser, UserInput } from '../../testing/builders';
import { DashboardHarness } from '../../testing/dashboard-harness';

function expectTooManyRequests(res: Response): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^Too many attempts/) });
  const retryAfter = res.headers['retry-after'];
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
}

describe.each(testDatabaseKinds())('throttling of the credential routes on $kind', ({ create }) => {
  describe('per username (login_attempts_per_minute 3)', () => {
    let h: DashboardHarness;
    let alice: UserInput;
    let bob: UserInput;

    beforeAll(async () => {
      h = await DashboardHarness.start(create, { login_attempts_per_minute: 3, auth_requests_per_minute: 1000 });
      alice = await h.initAdmin();
      bob = await h.register();
    });
    afterAll(() => h?.close());

    const login = (username: string, password: string) => h.http().post('/api/auth/login').send({ username, password });

    it('answers 429 with Retry-After to the 4th attempt for one username, even with the right password', async () => {
      const wrong = `${alice.password}-wrong`;
      h.track(wrong);
      for (let i = 0; i < 3; i++) await login(alice.username, wrong).expect(401);
      expectTooManyRequests(await login(alice.username, alice.password));
      // The username is counted regardless of letter case.
      expectTooManyRequests(await login(alice.username.toUpperCase(), alice.password));
    });

    it('still lets another username sign in from the same IP', async () => {
      await login(bob.username, bob.password).expect(200);
    });
  });

  describe('per IP (auth_requests_per_minute 3)', () => {
    let h: DashboardHarness;

    beforeAll(async () => {
      h = await DashboardHarness.start(create, { login_attempts_per_minute: 1000, auth_requests_per_minute: 3 });
    });
    afterAll(() => h?.close());

    it('answers 429 to the 4th login from one IP, whatever the usernames', async () => {
      for (const username of ['first-name', 'second-name', 'third-name']) {
        await h.http().post('/api/auth/login').send({ username, password: 'not-the-password' }).expect(401);
      }
      expectTooManyRequests(await h.http().post('/api/auth/login').send({ username: 'fourth-name', password: 'not-the-password' }));
    });

    it('limits registration too, before validating the body', async () => {
      for (let i = 0; i < 3; i++) await h.http().post('/api/auth/register').send({}).expect(400);
      expectTooManyRequests(await h.http().post('/api/auth/register').send(aUser()));
    });
  });
});
