import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { App } from './app';
import { appRoutes } from './app.routes';

describe('App shell', () => {
  let http: HttpTestingController;

  beforeEach(async () => {
    await TestBed.configureTestingModule({
      imports: [App],
      providers: [provideRouter(appRoutes), provideHttpClient(), provideHttpClientTesting()],
    }).compileComponents();
    http = TestBed.inject(HttpTestingController);
  });

  it('shows the navigation and the measured server status', async () => {
    const fixture = TestBed.createComponent(App);
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    expect([...el.querySelectorAll('nav a')].map((a) => a.textContent?.trim())).toEqual(['Dashboard', 'Tokens', 'Analytics', 'Admin']);
    expect(el.querySelector('[role=status]')?.textContent).toContain('Checking');
    http.expectOne('/api/status').flush({ status: 'ok', database: 'down', database_latency_ms: null, database_type: 'sqlite', uptime_s: 1, version: '0.1.0' });
    await fixture.whenStable();
    expect(el.querySelector('[role=status]')?.textContent).toContain('unreachable');
  });

  it.each([
    ['/dashboard', 'Dashboard'],
    ['/tokens', 'API tokens'],
    ['/analytics', 'Analytics'],
    ['/admin', 'Administration'],
    ['/', 'Sign in'],
    ['/no/such/page', 'Sign in'],
  ])('routes %s to its page', async (url, heading) => {
    const fixture = TestBed.createComponent(App);
    await TestBed.inject(Router).navigateByUrl(url);
    await fixture.whenStable();
    fixture.detectChanges();
    expect((fixture.nativeElement as HTMLElement).querySelector('h1')?.textContent).toBe(heading);
  });
});
