import type { Request } from 'express';

/**
 * The client's address as the throttles and the audit log see it: the socket's peer, or
 * with dashboard.trust_proxy_hops the address those proxies forwarded (Express' req.ip).
 * IPv4 peers of a dual-stack socket arrive as ::ffff:a.b.c.d; they are one address.
 */
export function clientAddress(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip;
}
