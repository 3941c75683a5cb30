import { BridgeRelayError } from './bridge-transport';
import { answerFailure, DEFAULT_RETRY_AFTER_SECONDS, noContentFailure, relayFailure, retryAfterSeconds } from './site-errors';

const relay = (status: number, message: string) => relayFailure(new BridgeRelayError(status, message));

describe('relayFailure', () => {
  it('maps a rejected reCAPTCHA (403) to 502 telling the user to solve the challenge', () => {
    const { error, refresh } = relay(403, '{"error":"recaptcha validation failed"}');
    expect([error.status, error.type, error.code]).toEqual([502, 'upstream_error', 'upstream_error']);
    expect(error.message).toBe('LMArena rejected the reCAPTCHA token: open the arena.ai tab, solve the challenge if one is shown, then retry.');
    expect(refresh).toBe(false);
  });

  it('recognises the reCAPTCHA message whatever the status', () => {
    expect(relay(400, 'recaptcha validation failed').error.message).toMatch(/reCAPTCHA/);
  });

  it('maps 401 to 502 telling the user to sign in again', () => {
    const { error } = relay(401, '{"error":"Unauthorized"}');
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/sign in again on arena\.ai/);
  });

  it("maps another 403 to 502 with the site's message and what to check", () => {
    const { error } = relay(403, '{"error":"Forbidden"}');
    expect(error.status).toBe(502);
    expect(error.message).toBe(
      'LMArena refused the request (403: Forbidden): open the arena.ai tab, check that you are signed in and that no challenge is shown, then retry.',
    );
  });

  it("maps 429 to 429 rate_limit_exceeded with the site's Retry-After", () => {
    const { error } = relay(429, 'Too Many Requests (retry-after: 12)');
    expect([error.status, error.type, error.code]).toEqual([429, 'rate_limit_error', 'rate_limit_exceeded']);
    expect(error.headers).toEqual({ 'Retry-After': '12' });
    expect(error.message).toContain('retry in 12 seconds');
  });

  it('gives a 429 without a Retry-After the default wait', () => {
    const { error } = relay(429, '{"error":"rate limited"}');
    expect(error.headers['Retry-After']).toBe(String(DEFAULT_RETRY_AFTER_SECONDS));
  });

  it('maps a Cloudflare page to 503 and asks for a reload, whatever the status', () => {
    for (const [status, body] of [
      [403, '<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>'],
      [503, '<html><title>Attention Required! | Cloudflare</title></html>'],
      [200, 'Please Enable JavaScript and cookies to continue'],
    ] as const) {
      const { error, refresh } = relay(status, body);
      expect([error.status, error.code]).toEqual([503, 'upstream_unavailable']);
      expect(error.message).toMatch(/Cloudflare check page.*reloaded/);
      expect(refresh).toBe(true);
    }
  });

  it("maps 400 to 502 with the site's message", () => {
    const { error } = relay(400, '{"error":"Message already has feedback"}');
    expect(error.status).toBe(502);
    expect(error.message).toBe('LMArena rejected the request (400: Message already has feedback).');
  });

  it('maps a failed fetch (status 0) to 502 telling the user to check the tab', () => {
    const { error } = relay(0, 'Failed to fetch');
    expect(error.status).toBe(502);
    expect(error.message).toBe('The browser could not reach LMArena (Failed to fetch): check that the arena.ai tab is open and online, then retry.');
  });

  it('maps other statuses to 502 with the status, on one short line', () => {
    const { error } = relay(500, `Internal\n\n error ${'x'.repeat(1000)}`);
    expect(error.status).toBe(502);
    expect(error.message.startsWith('LMArena answered 500: Internal error x')).toBe(true);
    expect(error.message).not.toContain('\n');
    expect(error.message.length).toBeLessThan(400);
    expect(relay(503, 'Resource exhausted').error.status).toBe(429);
  });
});

describe('answerFailure', () => {
  it('turns "resource exhausted" and rate-limit lines into 429 with Retry-After', () => {
    for (const message of ['Resource exhausted: please try again later', 'RESOURCE_EXHAUSTED', 'You hit the rate limit, try again in 2 minutes']) {
      const { error } = answerFailure('stream', message);
      expect(error.status).toBe(429);
      expect(Number(error.headers['Retry-After'])).toBeGreaterThan(0);
    }
    expect(answerFailure('stream', 'Rate limit: try again in 2 minutes').error.headers['Retry-After']).toBe('120');
  });

  it('recognises reCAPTCHA and sign-in failures in a body', () => {
    expect(answerFailure('body', 'recaptcha validation failed').error.message).toMatch(/^LMArena rejected the reCAPTCHA token/);
    expect(answerFailure('body', 'Unauthorized').error.message).toMatch(/sign in again/);
  });

  it('maps a Cloudflare page to 503 with a reload', () => {
    const { error, refresh } = answerFailure('cloudflare', 'LMArena answered with a Cloudflare check page instead of the answer');
    expect(error.status).toBe(503);
    expect(refresh).toBe(true);
  });

  it('passes other site errors on as 502 with their message', () => {
    expect(answerFailure('stream', 'Model is overloaded').error.message).toBe('LMArena reported an error: Model is overloaded');
    expect(answerFailure('body', 'Evaluation not found').error.message).toBe('LMArena answered with an error: Evaluation not found');
    expect(answerFailure('stream', '').error.message).toBe('LMArena reported an error: no details');
  });
});

describe('noContentFailure', () => {
  it('is a 502 that says the site sent nothing, with the first line not understood', () => {
    expect(noContentFailure(0, null).error.message).toBe('LMArena answered without any content.');
    const { error } = noContentFailure(2, 'zz:{}');
    expect(error.status).toBe(502);
    expect(error.message).toBe('LMArena answered without any content (2 lines not understood, the first: zz:{}; the site may have changed).');
  });
});

describe('retryAfterSeconds', () => {
  it('reads header, JSON and prose forms, capped, else the default', () => {
    expect(retryAfterSeconds('Retry-After: 7')).toBe(7);
    expect(retryAfterSeconds('{"error":"slow down","retryAfter":4.2}')).toBe(5);
    expect(retryAfterSeconds('{"retry_after":"9"}')).toBe(9);
    expect(retryAfterSeconds('please try again in 45 seconds')).toBe(45);
    expect(retryAfterSeconds('retry-after: 999999')).toBe(3600);
    expect(retryAfterSeconds('retry-after: 0')).toBe(DEFAULT_RETRY_AFTER_SECONDS);
    expect(retryAfterSeconds('nothing here')).toBe(DEFAULT_RETRY_AFTER_SECONDS);
  });
});
