import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { SessionStore } from '../../core/session.store';
import { unauthorizedInterceptor } from '../../core/unauthorized.interceptor';
import { anAdmin, aUser } from '../../testing/builders';
import { button, click, q, qa, settle, text, type } from '../../testing/dom';
import { LoginPage } from './login.page';

@Component({ template: '' })
class Blank {}

describe('LoginPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<LoginPage>;
  let navigate: jest.SpyInstance;

  async function create(next?: string) {
    fixture = TestBed.createComponent(LoginPage);
    if (next) fixture.componentRef.setInput('next', next);
    await fixture.whenStable();
  }

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([unauthorizedInterceptor])),
        provideHttpClientTesting(),
        provideRouter([{ path: '**', component: Blank }]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    navigate = jest.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
  });
  afterEach(() => http.verify());

  it('has labelled inputs and refuses an empty form without calling the API', async () => {
    await create();
    expect(text(fixture, 'h1')).toBe('Sign in');
    for (const input of qa<HTMLInputElement>(fixture, 'input')) {
      expect(q(fixture, `label[for="${input.id}"]`)).toBeTruthy();
    }
    await click(fixture, button(fixture, 'Sign in', 'form'));
    expect(text(fixture)).toContain('Enter your username or e-mail address.');
    expect(text(fixture)).toContain('Enter your password.');
    expect(q(fixture, '#signin-username').getAttribute('aria-invalid')).toBe('true');
    http.expectNone('/api/auth/login');
  });

  it('signs in, remembers the user and goes where the visitor wanted to go', async () => {
    await create('/tokens');
    type(fixture, '#signin-username', 'alice');
    type(fixture, '#signin-password', 'correct horse');
    await click(fixture, button(fixture, 'Sign in', 'form'));
    const req = http.expectOne('/api/auth/login');
    expect(req.request.body).toEqual({ username: 'alice', password: 'correct horse' });
    const user = aUser({ username: 'alice' });
    req.flush({ user });
    await settle(fixture);
    expect(TestBed.inject(SessionStore).user()).toEqual(user);
    expect(navigate).toHaveBeenCalledWith('/tokens');
  });

  it('ignores an unsafe return address', async () => {
    await create('//evil.example');
    type(fixture, '#signin-username', 'alice');
    type(fixture, '#signin-password', 'correct horse');
    await click(fixture, button(fixture, 'Sign in', 'form'));
    http.expectOne('/api/auth/login').flush({ user: aUser() });
    await settle(fixture);
    expect(navigate).toHaveBeenCalledWith('/dashboard');
  });

  it("shows the API's message for wrong credentials and stays on the page", async () => {
    await create();
    type(fixture, '#signin-username', 'alice');
    type(fixture, '#signin-password', 'wrong password');
    await click(fixture, button(fixture, 'Sign in', 'form'));
    http
      .expectOne('/api/auth/login')
      .flush(
        { statusCode: 401, error: 'Unauthorized', message: 'Wrong username or password, or the account is disabled.' },
        { status: 401, statusText: 'Unauthorized' },
      );
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toBe('Wrong username or password, or the account is disabled.');
    expect(navigate).not.toHaveBeenCalled();
  });

  it('shows why the visitor is here (session ended)', async () => {
    TestBed.inject(SessionStore).signedOut('Your session has ended. Please sign in again.');
    await create();
    expect(text(fixture, '.alert-info')).toBe('Your session has ended. Please sign in again.');
    expect(TestBed.inject(SessionStore).notice()).toBeNull();
  });

  it('checks the account rules of the API before registering', async () => {
    await create();
    await click(fixture, button(fixture, 'Create account'));
    expect(text(fixture, 'h1')).toBe('Create an account');
    type(fixture, '#account-username', 'a b');
    type(fixture, '#account-email', 'not-an-address');
    type(fixture, '#account-password', 'short');
    type(fixture, '#account-repeat', 'different');
    await click(fixture, button(fixture, 'Create account and sign in'));
    expect(q(fixture, '#account-username').getAttribute('aria-invalid')).toBe('true');
    expect(text(fixture)).toContain('Enter a valid e-mail address.');
    expect(q(fixture, '#account-password-help').classList).toContain('field-error');
    expect(text(fixture)).toContain('The passwords differ.');
    // 73 bytes: too long for bcrypt, refused here as the API would.
    type(fixture, '#account-password', 'é'.repeat(36) + 'a');
    await fixture.whenStable();
    expect(text(fixture, '#account-password-help')).toContain('Too long');
    http.expectNone('/api/auth/register');
  });

  it('registers, then signs in with the same credentials', async () => {
    await create();
    await click(fixture, button(fixture, 'Create account'));
    type(fixture, '#account-username', 'bob.smith');
    type(fixture, '#account-email', 'bob@example.com');
    type(fixture, '#account-password', 'correct horse');
    type(fixture, '#account-repeat', 'correct horse');
    await click(fixture, button(fixture, 'Create account and sign in'));
    const register = http.expectOne('/api/auth/register');
    expect(register.request.body).toEqual({ username: 'bob.smith', email: 'bob@example.com', password: 'correct horse' });
    register.flush({ user: aUser({ username: 'bob.smith' }) }, { status: 201, statusText: 'Created' });
    await settle(fixture);
    http.expectOne('/api/auth/login').flush({ user: aUser({ username: 'bob.smith' }) });
    await settle(fixture);
    expect(navigate).toHaveBeenCalledWith('/dashboard');
  });

  it('initializes the first admin, and explains a 409 when the server is already set up', async () => {
    await create();
    await click(fixture, button(fixture, 'initialize the admin account'));
    expect(text(fixture, 'h1')).toBe('Initialize the admin account');
    type(fixture, '#account-username', 'root');
    type(fixture, '#account-email', 'root@example.com');
    type(fixture, '#account-password', 'correct horse');
    type(fixture, '#account-repeat', 'correct horse');
    await click(fixture, button(fixture, 'Create admin and sign in'));
    http
      .expectOne('/api/admin/init')
      .flush({ statusCode: 409, message: 'The first user already exists; sign in instead.' }, { status: 409, statusText: 'Conflict' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('already set up');

    await click(fixture, button(fixture, 'Create admin and sign in'));
    http.expectOne('/api/admin/init').flush({ user: anAdmin({ username: 'root' }) }, { status: 201, statusText: 'Created' });
    await settle(fixture);
    http.expectOne('/api/auth/login').flush({ user: anAdmin({ username: 'root' }) });
    await settle(fixture);
    expect(TestBed.inject(SessionStore).isAdmin()).toBe(true);
    expect(navigate).toHaveBeenCalledWith('/dashboard');
  });

  it('shows registration being disabled', async () => {
    await create();
    await click(fixture, button(fixture, 'Create account'));
    type(fixture, '#account-username', 'bob');
    type(fixture, '#account-email', 'bob@example.com');
    type(fixture, '#account-password', 'correct horse');
    type(fixture, '#account-repeat', 'correct horse');
    await click(fixture, button(fixture, 'Create account and sign in'));
    http
      .expectOne('/api/auth/register')
      .flush(
        { statusCode: 403, error: 'Forbidden', message: 'Registration is disabled: ask an admin for an account.' },
        { status: 403, statusText: 'Forbidden' },
      );
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toBe('Registration is disabled: ask an admin for an account.');
  });
});
