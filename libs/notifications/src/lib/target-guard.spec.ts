import { DEFAULT_RETRY_POLICY, retrySchedule } from './backoff';
import { newWebhookSecret, SecretBox, signWebhook, verifyWebhookSignature } from './secret-box';
import { checkWebhookUrl, isPrivateAddress, resolveTarget, TargetRefused } from './target-guard';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:a00:1',
    'not an address',
  ])('refuses %s', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) =>
    expect(isPrivateAddress(address)).toBe(false),
  );
});

describe('resolveTarget', () => {
  it('refuses loopback by name and by literal unless allowed', async () => {
    await expect(resolveTarget('http://localhost:9/x', false)).rejects.toThrow(/private or loopback/);
    await expect(resolveTarget('http://[::1]:9/x', false)).rejects.toThrow(/::1/);
    await expect(resolveTarget('http://127.0.0.1:9/x', true)).resolves.toMatchObject({ address: '127.0.0.1', family: 4 });
  });

  it.each([
    ['ftp', 'ftp://example.com/'],
    ['file', 'file:///etc/passwd'],
    ['credentials', 'http://user:pw@example.com/'],
    ['not a URL', 'not a url'],
    ['over 2048 characters', `https://example.com/${'a'.repeat(2048)}`],
  ])('refuses a URL: %s', (_label, url) => expect(() => checkWebhookUrl(url)).toThrow(TargetRefused));
});

describe('SecretBox', () => {
  it('seals so that only the same server key opens, and a changed byte fails', () => {
    const secret = newWebhookSecret();
    const sealed = new SecretBox('a'.repeat(32)).seal(secret);
    expect(sealed).not.toContain(secret);
    expect(new SecretBox('a'.repeat(32)).open(sealed)).toBe(secret);
    expect(() => new SecretBox('b'.repeat(32)).open(sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = (parts[3][0] === 'A' ? 'B' : 'A') + parts[3].slice(1);
    expect(() => new SecretBox('a'.repeat(32)).open(parts.join('.'))).toThrow();
  });

  it('signs as the contract says: sha256=hex(HMAC-SHA256(secret, "timestamp.body"))', () => {
    // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_x
    expect(signWebhook('whsec_x', '1700000000', '{"a":1}')).toBe('sha256=b3438763ab46d9634b9844c8722818eaf523f803db1327484c6067462a5fd6d1');
    expect(verifyWebhookSignature('whsec_x', '1700000000', '{"a":1}', signWebhook('whsec_x', '1700000000', '{"a":1}'))).toBe(true);
  });
});

describe('retry schedule', () => {
  it('backs off 30 s doubling to 3 h and gives up after 24 h', () => {
    const minutes = retrySchedule(DEFAULT_RETRY_POLICY).map((ms) => ms / 60_000);
    expect(minutes.slice(0, 10)).toEqual([0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5, 127.5, 255.5]);
    const last = minutes[minutes.length - 1];
    expect(last).toBeLessThanOrEqual(24 * 60);
    expect(last + 180).toBeGreaterThan(24 * 60);
    process.stdout.write(`default retry schedule (minutes after the first attempt): ${minutes.join(', ')}\n`);
  });
});
