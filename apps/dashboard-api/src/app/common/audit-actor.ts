import type { AuditActor } from '@lmarena-bridge/auth';
import type { Request } from 'express';
import type { AuthedRequest } from './authed-request';
import { clientAddress } from './client-address';

/** The signed-in user of the request, and the address they came from, for the audit log. */
export function auditActor(req: AuthedRequest | Request): AuditActor {
  const user = (req as AuthedRequest).user;
  return { id: user?.id ?? null, name: user?.username ?? null, ip: clientAddress(req) };
}
