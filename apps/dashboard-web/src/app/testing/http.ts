import { HttpRequest } from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';

/** The one request to `url` once the code under test has sent it (e.g. after a guard ran). */
export async function expectSoon(http: HttpTestingController, url: string, timeoutMs = 2000): Promise<TestRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = http.match(url);
    if (found.length > 1) throw new Error(`${found.length} requests to ${url}, expected one`);
    if (found.length === 1) return found[0];
    if (Date.now() > deadline) throw new Error(`no request to ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A matcher for `url` with exactly these query parameters (in any order). */
export function withParams(url: string, expected: Record<string, string | number>) {
  return (req: HttpRequest<unknown>): boolean => {
    if (req.url !== url) return false;
    const keys = req.params.keys().sort();
    const want = Object.keys(expected).sort();
    return keys.length === want.length && keys.every((k, i) => k === want[i] && String(req.params.get(k)) === String(expected[k]));
  };
}
