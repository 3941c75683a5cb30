import { tokenStatus } from './token-status';

const T = Date.UTC(2030, 0, 1, 12, 0, 0);
const at = (ms: number) => new Date(ms);

describe('tokenStatus', () => {
  it('is active without expiry or revocation', () => {
    expect(tokenStatus({ revokedAt: null, expiresAt: null }, T)).toBe('active');
  });

  it('is active until one millisecond before the expiry and expired at the expiry instant', () => {
    const token = { revokedAt: null, expiresAt: at(T) };
    expect(tokenStatus(token, T - 1)).toBe('active');
    expect(tokenStatus(token, T)).toBe('expired');
    expect(tokenStatus(token, T + 1)).toBe('expired');
  });

  it('is revoked once revoked, whatever the expiry', () => {
    expect(tokenStatus({ revokedAt: at(T - 5), expiresAt: null }, T)).toBe('revoked');
    expect(tokenStatus({ revokedAt: at(T - 5), expiresAt: at(T + 1000) }, T)).toBe('revoked');
    expect(tokenStatus({ revokedAt: at(T - 5), expiresAt: at(T - 1000) }, T)).toBe('revoked');
  });

  it('defaults to the current time', () => {
    expect(tokenStatus({ revokedAt: null, expiresAt: at(Date.now() - 1) })).toBe('expired');
    expect(tokenStatus({ revokedAt: null, expiresAt: at(Date.now() + 60_000) })).toBe('active');
  });
});
