import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aBridgeBrowser, aBridgeKey, aBridgeModel, aBridgeState } from '../testing/builders';
import { BridgeApi } from './bridge.api';
import { FileSaver } from './file-saver';
import { describeHttpError } from './http-error';

describe('BridgeApi', () => {
  let http: HttpTestingController;
  let api: BridgeApi;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    api = TestBed.inject(BridgeApi);
  });
  afterEach(() => http.verify());

  it('reads the bridge state', async () => {
    const state = aBridgeState({ browsers: [aBridgeBrowser()], keys: [aBridgeKey()], models: [aBridgeModel()] });
    const result = firstValueFrom(api.state());
    http.expectOne({ method: 'GET', url: '/api/bridge' }).flush(state);
    expect(await result).toEqual(state);
  });

  it('posts the name and answers the userscript as text', async () => {
    const script = '// ==UserScript==\nconst key = "lmb-bridge-abc";\n';
    const result = firstValueFrom(api.userscript('laptop'));
    const req = http.expectOne({ method: 'POST', url: '/api/bridge/userscript' });
    expect(req.request.body).toEqual({ name: 'laptop' });
    expect(req.request.responseType).toBe('text');
    req.flush(script, { headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
    expect(await result).toBe(script);
  });

  it("turns the text body of a refusal back into the API's error, so its message is shown", async () => {
    const result = firstValueFrom(api.userscript('laptop'));
    const message = 'The userscript is not built (/srv/dist/lmarena-bridge.user.js is missing): run "npx nx build lmarena-userscript".';
    http
      .expectOne('/api/bridge/userscript')
      .flush(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message }), { status: 503, statusText: 'Service Unavailable' });
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpErrorResponse);
    expect((err as HttpErrorResponse).status).toBe(503);
    expect(describeHttpError(err)).toBe(message);
  });

  it('keeps an error whose body is not JSON as it is', async () => {
    const result = firstValueFrom(api.userscript('laptop'));
    http.expectOne('/api/bridge/userscript').flush('Bad Gateway', { status: 502, statusText: 'Bad Gateway' });
    expect(describeHttpError(await result.catch((e: unknown) => e))).toBe('The server failed to answer (HTTP 502). Try again in a moment.');
  });

  it('revokes a key', async () => {
    const result = firstValueFrom(api.revokeKey(4), { defaultValue: undefined });
    http.expectOne({ method: 'DELETE', url: '/api/bridge/keys/4' }).flush(null, { status: 204, statusText: 'No Content' });
    await result;
  });
});

describe('FileSaver', () => {
  const createObjectURL = jest.fn((blob: Blob) => (void blob, 'blob:http://dashboard.test/1'));
  const revokeObjectURL = jest.fn();

  beforeEach(() => {
    // jsdom has no object URLs; these stand in for the browser's.
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
    createObjectURL.mockClear();
    revokeObjectURL.mockClear();
  });

  it('clicks a hidden download link to a Blob of the text, removes it, and frees the URL later', async () => {
    const clicked: Array<{ href: string; download: string; connected: boolean }> = [];
    const onClick = (e: Event) => {
      const a = e.target as HTMLAnchorElement;
      clicked.push({ href: a.href, download: a.download, connected: a.isConnected });
      e.preventDefault(); // jsdom does not navigate; a browser would download
    };
    document.addEventListener('click', onClick);
    try {
      TestBed.inject(FileSaver).save('const x = 1;\n', 'lmarena-bridge.user.js', 'text/javascript');
    } finally {
      document.removeEventListener('click', onClick);
    }
    expect(clicked).toEqual([{ href: 'blob:http://dashboard.test/1', download: 'lmarena-bridge.user.js', connected: true }]);
    const blob = createObjectURL.mock.calls[0][0];
    expect(blob.type).toBe('text/javascript');
    expect(document.querySelector('a[download]')).toBeNull();
    expect(revokeObjectURL).not.toHaveBeenCalled();
    jest.runAllTimers();
    expect(revokeObjectURL).toHaveBeenCalledWith('blob:http://dashboard.test/1');
    // jsdom's Blob has no text(); FileReader reads it (on real timers).
    jest.useRealTimers();
    const content = await new Promise<unknown>((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsText(blob);
    });
    expect(content).toBe('const x = 1;\n');
  });
});
