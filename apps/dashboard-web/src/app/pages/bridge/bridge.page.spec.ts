import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import type { BridgeState } from '@lmarena-bridge/contracts';
import { FileSaver } from '../../core/file-saver';
import { SessionStore } from '../../core/session.store';
import { aBridgeBrowser, aBridgeKey, aBridgeModel, aBridgeState, anAdmin } from '../../testing/builders';
import { button, click, q, qa, settle, text, type } from '../../testing/dom';
import { expectSoon } from '../../testing/http';
import { BRIDGE_REFRESH_MS, BridgePage } from './bridge.page';

const IMAGE_CAPS = { inputCapabilities: { text: true }, outputCapabilities: { image: { aspectRatios: ['1:1'] } } };

describe('BridgePage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<BridgePage>;
  let saved: Array<{ content: string; filename: string; type: string }>;

  async function setup(refreshMs = 60_000) {
    saved = [];
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: BRIDGE_REFRESH_MS, useValue: refreshMs },
        // Records the download instead of handing it to the browser.
        { provide: FileSaver, useValue: { save: (content: string, filename: string, type: string) => saved.push({ content, filename, type }) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(SessionStore).signedInAs(anAdmin());
    fixture = TestBed.createComponent(BridgePage);
    await fixture.whenStable();
  }

  async function load(state: BridgeState) {
    http.expectOne({ method: 'GET', url: '/api/bridge' }).flush(state);
    await settle(fixture);
  }

  afterEach(() => {
    // Destroying the page stops its timer and cancels a refresh that may have started.
    fixture?.destroy();
    http.verify({ ignoreCancelled: true });
  });

  it('refreshes every 5 seconds by default', () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    expect(TestBed.inject(BRIDGE_REFRESH_MS)).toBe(5_000);
    http = TestBed.inject(HttpTestingController);
  });

  it('shows the install steps, a loading state, then browsers, keys and models', async () => {
    await setup();
    expect(text(fixture)).toContain('Loading the bridge…');
    const steps = qa(fixture, '[data-testid=install-steps] li').map((li) => (li.textContent ?? '').replace(/\s+/g, ' '));
    expect(steps).toHaveLength(5);
    expect(steps[0]).toMatch(/Tampermonkey.*Violentmonkey/);
    expect(steps[1]).toContain('lmarena-bridge.user.js');
    expect(steps[2]).toContain('https://arena.ai');
    expect(steps[2]).toContain('sign in');
    expect(steps[3]).toContain('local network');
    expect(steps[4]).toContain('Connected browsers');

    const laptop = aBridgeKey({ id: 3, name: 'laptop chrome', last_used_at: '2026-12-01T09:30:00.000Z' });
    const old = aBridgeKey({ id: 2, name: 'old box', revoked_at: '2026-11-30T09:00:00.000Z' });
    await load(
      aBridgeState({
        browsers: [
          aBridgeBrowser({ browser_id: 'b-1', key_id: 3, version: '1.4.0', in_flight: 2, last_error: 'reCAPTCHA rejected' }),
          aBridgeBrowser({ browser_id: 'b-2', key_id: null, origin: 'https://lmarena.ai' }),
        ],
        keys: [laptop, old],
        models: [aBridgeModel({ public_name: 'claude-x', organization: 'anthropic' })],
      }),
    );

    const browserRows = qa(fixture, '[data-testid=browsers-table] tbody tr');
    expect(browserRows).toHaveLength(2);
    expect(browserRows[0].textContent).toMatch(/laptop chrome.*https:\/\/arena\.ai.*1\.4\.0.*2.*reCAPTCHA rejected/s);
    expect(browserRows[1].textContent).toMatch(/shared secret \(config\).*https:\/\/lmarena\.ai.*—/s);
    expect(text(fixture, '#browsers-title')).toContain('(2)');

    expect(text(fixture, '#keys-title')).toContain('(1 active)');
    const keyRows = qa(fixture, '[data-testid=keys-table] tbody tr');
    expect(keyRows[0].textContent).toMatch(/laptop chrome.*active/s);
    expect(keyRows[1].textContent).toMatch(/old box.*Never.*revoked/s);
    expect(keyRows[1].querySelector('button')).toBeNull();
    expect(qa(fixture, '[data-testid=models-table] tbody tr')[0].textContent).toMatch(/claude-x.*anthropic.*text/s);
  });

  it('shows empty states', async () => {
    await setup();
    await load(aBridgeState());
    expect(text(fixture, '[data-testid=no-browsers]')).toContain('No browser connected');
    expect(text(fixture, '[data-testid=no-keys]')).toContain('No bridge key yet');
    expect(text(fixture, '[data-testid=no-models]')).toContain('No model reported yet');
  });

  it('shows an error with a retry, then the state', async () => {
    await setup();
    http.expectOne('/api/bridge').flush({ statusCode: 403, error: 'Forbidden', message: 'Forbidden resource' }, { status: 403, statusText: 'Forbidden' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('The bridge state could not be loaded: Forbidden resource.');
    await click(fixture, button(fixture, 'Try again'));
    await load(aBridgeState());
    expect(fixture.nativeElement.querySelector('[role=alert]')).toBeNull();
  });

  it('re-reads the state on its timer, keeping the last state on screen when a refresh fails', async () => {
    await setup(20);
    await load(aBridgeState({ browsers: [aBridgeBrowser({ browser_id: 'b-1' })] }));
    (await expectSoon(http, '/api/bridge')).flush(aBridgeState({ browsers: [aBridgeBrowser({ browser_id: 'b-1' }), aBridgeBrowser({ browser_id: 'b-2' })] }));
    await settle(fixture);
    expect(qa(fixture, '[data-testid=browsers-table] tbody tr')).toHaveLength(2);
    (await expectSoon(http, '/api/bridge')).flush(null, { status: 502, statusText: 'Bad Gateway' });
    await settle(fixture);
    expect(text(fixture)).toContain('Refresh failed');
    expect(qa(fixture, '[data-testid=browsers-table] tbody tr')).toHaveLength(2);
  });

  it('installs: asks a name, posts it and hands the answer to the browser as lmarena-bridge.user.js', async () => {
    await setup();
    await load(aBridgeState());
    await click(fixture, button(fixture, 'Install userscript'));
    expect(q<HTMLDialogElement>(fixture, 'lmb-dialog dialog').open).toBe(true);

    // An empty or blank name is refused before any request.
    await click(fixture, button(fixture, 'Download userscript'));
    type(fixture, '#bridge-key-name', '   ');
    await click(fixture, button(fixture, 'Download userscript'));
    http.expectNone('/api/bridge/userscript');
    expect(q(fixture, '#bridge-key-name').getAttribute('aria-invalid')).toBe('true');

    type(fixture, '#bridge-key-name', '  laptop chrome ');
    await click(fixture, button(fixture, 'Download userscript'));
    const req = http.expectOne({ method: 'POST', url: '/api/bridge/userscript' });
    expect(req.request.body).toEqual({ name: 'laptop chrome' });
    const script = '// ==UserScript==\nconst KEY = "lmb-bridge-xyz";\n';
    req.flush(script);
    await settle(fixture);

    expect(saved).toEqual([{ content: script, filename: 'lmarena-bridge.user.js', type: 'text/javascript' }]);
    expect(q<HTMLDialogElement>(fixture, 'lmb-dialog dialog').open).toBe(false);
    expect(text(fixture, '[data-testid=installed]')).toContain('“laptop chrome”');
    // The key is nowhere on the page: only in the downloaded file.
    expect(text(fixture)).not.toContain('lmb-bridge-xyz');
    // And the list is re-read to show the new key.
    await load(aBridgeState({ keys: [aBridgeKey({ name: 'laptop chrome' })] }));
    expect(text(fixture, '[data-testid=keys-table]')).toContain('laptop chrome');
  });

  it("shows the API's refusal in the dialog and downloads nothing", async () => {
    await setup();
    await load(aBridgeState());
    await click(fixture, button(fixture, 'Install userscript'));
    type(fixture, '#bridge-key-name', 'laptop');
    await click(fixture, button(fixture, 'Download userscript'));
    const message = 'The userscript is not built: run "npx nx build lmarena-userscript".';
    http
      .expectOne('/api/bridge/userscript')
      .flush(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message }), { status: 503, statusText: 'Service Unavailable' });
    await settle(fixture);
    expect(text(fixture, 'lmb-dialog [role=alert]')).toBe(message);
    expect(q<HTMLDialogElement>(fixture, 'lmb-dialog dialog').open).toBe(true);
    expect(saved).toEqual([]);
  });

  it('revokes a key after confirmation and re-reads the state', async () => {
    await setup();
    await load(aBridgeState({ keys: [aBridgeKey({ id: 7, name: 'laptop' })] }));
    await click(fixture, q(fixture, 'button[aria-label="Revoke laptop"]'));
    expect(text(fixture, 'lmb-confirm-dialog .dialog-message')).toContain('browsers using it are disconnected');
    await click(fixture, button(fixture, 'Revoke key'));
    http.expectOne({ method: 'DELETE', url: '/api/bridge/keys/7' }).flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    await load(aBridgeState({ keys: [aBridgeKey({ id: 7, name: 'laptop', revoked_at: '2026-12-01T10:00:00.000Z' })] }));
    expect(text(fixture, '.alert-info')).toContain('“laptop” revoked');
    expect(qa(fixture, '[data-testid=keys-table] button')).toHaveLength(0);
  });

  it('keeps the confirmation open with the error when revoking fails', async () => {
    await setup();
    await load(aBridgeState({ keys: [aBridgeKey({ id: 7, name: 'laptop' })] }));
    await click(fixture, q(fixture, 'button[aria-label="Revoke laptop"]'));
    await click(fixture, button(fixture, 'Revoke key'));
    http
      .expectOne('/api/bridge/keys/7')
      .flush({ statusCode: 404, error: 'Not Found', message: 'Bridge key not found or already revoked.' }, { status: 404, statusText: 'Not Found' });
    await settle(fixture);
    expect(text(fixture, 'lmb-confirm-dialog [role=alert]')).toBe('Bridge key not found or already revoked.');
  });

  it('offers the models.json line of each model, :image for image models, and copies it', async () => {
    const writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });
    await setup();
    await load(
      aBridgeState({
        models: [
          aBridgeModel({ id: 'id-text', public_name: 'claude-x', organization: 'anthropic' }),
          aBridgeModel({ id: 'id-image', public_name: 'gpt-image-1', organization: 'openai', capabilities: IMAGE_CAPS }),
        ],
      }),
    );
    const row = (id: string) => q(fixture, `[data-model="${id}"]`);
    expect(row('id-text').querySelector('code')?.textContent).toBe('"claude-x": "id-text"');
    expect(row('id-image').querySelector('code')?.textContent).toBe('"gpt-image-1": "id-image:image"');
    expect(row('id-image').textContent).toContain('image');

    await click(fixture, q(fixture, 'button[aria-label="Copy the models.json line of gpt-image-1"]'));
    await settle(fixture);
    expect(writeText).toHaveBeenCalledWith('"gpt-image-1": "id-image:image"');
    expect(row('id-image').textContent).toContain('Copied');
  });

  it('filters the models', async () => {
    await setup();
    await load(
      aBridgeState({
        models: [
          aBridgeModel({ id: 'a', public_name: 'claude-x', organization: 'anthropic' }),
          aBridgeModel({ id: 'b', public_name: 'gpt-y', organization: 'openai' }),
        ],
      }),
    );
    const filter = q<HTMLInputElement>(fixture, '#model-filter');
    filter.value = 'OpenAI';
    filter.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(qa(fixture, '[data-testid=models-table] tbody tr').map((r) => r.getAttribute('data-model'))).toEqual(['b']);
    filter.value = 'nothing-like-it';
    filter.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(text(fixture)).toContain('No reported model matches “nothing-like-it”.');
  });
});
