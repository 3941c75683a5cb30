import { IpRules } from '@lmarena-bridge/limits';
import type { IncomingMessage } from 'node:http';

/** `[::1]:443` or `1.2.3.4:80` as some balancers write X-Forwarded-For entries: the address alone. */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return v4 ? v4[1] : hop;
}

/**
 * The address a request is attributed to for IP rules: the socket's peer, unless that peer is
 * one of `proxy.trusted_proxies` — then the rightmost X-Forwarded-For hop that is not a trusted
 * proxy (each balancer appends the address it saw, so everything left of the first untrusted
 * hop, counted from the right, is what the client claimed and cannot be believed).
 */
export class ClientAddress {
  private readonly trusted: IpRules | null;

  /** Throws InvalidIpRangeError for a range that does not parse (the config checks them first). */
  constructor(trustedProxies: readonly string[]) {
    this.trusted = trustedProxies.length > 0 ? new IpRules({ allowed: trustedProxies }) : null;
  }

  of(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress ?? '';
    if (!this.trusted || !this.isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    if (typeof header !== 'string') return peer;
    const hops = header
      .split(',')
      .map((hop) => withoutPort(hop.trim()))
      .filter((hop) => hop !== '');
    for (let i = hops.length - 1; i >= 0; i--) if (!this.isTrusted(hops[i])) return hops[i];
    // Every hop is a trusted proxy: the leftmost is the closest to the client we know of.
    return hops[0] ?? peer;
  }

  private isTrusted(address: string): boolean {
    return this.trusted !== null && this.trusted.check(address) === 'ok';
  }
}
