import type { IncomingMessage } from 'node:http';
import { ClientAddress } from './client-address';

const request = (peer: string, xff?: string): IncomingMessage =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('ClientAddress', () => {
  it('uses the socket peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    const address = new ClientAddress([]);
    expect(address.of(request('203.0.113.9', '10.0.0.1'))).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const address = new ClientAddress(['10.0.0.0/8']);
    expect(address.of(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });

  it('takes the rightmost untrusted hop behind trusted balancers', () => {
    const address = new ClientAddress(['10.0.0.0/8', '::1']);
    // The client claims 1.1.1.1; the outer balancer saw 198.51.100.7; the inner one is 10.0.0.2.
    expect(address.of(request('::1', '1.1.1.1, 198.51.100.7, 10.0.0.2'))).toBe('198.51.100.7');
    expect(address.of(request('10.1.2.3', '2001:db8::5'))).toBe('2001:db8::5');
  });

  it('strips ports and brackets that some balancers add', () => {
    const address = new ClientAddress(['127.0.0.1']);
    expect(address.of(request('127.0.0.1', '198.51.100.7:51234'))).toBe('198.51.100.7');
    expect(address.of(request('127.0.0.1', '[2001:db8::5]:443'))).toBe('2001:db8::5');
  });

  it('falls back to the leftmost hop when every hop is trusted, and to the peer without a header', () => {
    const address = new ClientAddress(['10.0.0.0/8']);
    expect(address.of(request('10.0.0.1', '10.0.0.9, 10.0.0.8'))).toBe('10.0.0.9');
    expect(address.of(request('10.0.0.1'))).toBe('10.0.0.1');
    expect(address.of(request('10.0.0.1', ' , '))).toBe('10.0.0.1');
  });

  it('recognises an IPv4 peer reported as IPv4-mapped IPv6', () => {
    const address = new ClientAddress(['127.0.0.1']);
    expect(address.of(request('::ffff:127.0.0.1', '198.51.100.7'))).toBe('198.51.100.7');
  });
});
