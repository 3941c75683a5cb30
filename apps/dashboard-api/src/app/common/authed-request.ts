import type { UserEntity } from '@lmarena-bridge/auth';
import type { Request } from 'express';

/** A request after the session guard: the signed-in user and the raw cookie value. */
export interface AuthedRequest extends Request {
  user?: UserEntity;
  sessionId?: string;
  /** The sessions row id of that cookie (what the sessions list shows, never the cookie). */
  sessionRowId?: number;
}
