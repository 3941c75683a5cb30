import type { UserRole } from './user';

/** POST /api/auth/password. */
export interface PasswordChange {
  current_password: string;
  new_password: string;
}

/** POST /api/admin/users/:id/password. */
export interface PasswordReset {
  new_password: string;
}

/** POST /api/admin/users: an account made by an admin (works while registration is closed). */
export interface AdminNewAccount {
  username: string;
  email: string;
  password: string;
  /** Default: user. */
  role?: UserRole;
}

/** One live dashboard session of the signed-in user. `id` is the row id, never the cookie. */
export interface SessionInfo {
  id: number;
  created_at: string;
  last_seen_at: string | null;
  ip: string | null;
  user_agent: string | null;
  /** The session this request was made with. */
  current: boolean;
}

/** GET /api/auth/sessions. */
export interface SessionList {
  sessions: SessionInfo[];
}

/**
 * What the audit log records. Other features add theirs (bridge keys, token limits) as
 * plain strings; these are the ones the accounts feature writes.
 */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.password_changed',
  'auth.logout_all',
  'auth.session_revoked',
  'user.created',
  'user.password_reset',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.limits_changed',
  'token.created',
  'token.renamed',
  'token.limits_changed',
  'token.revoked',
  'ip_denylist.changed',
  'bridge_key.created',
  'bridge_key.revoked',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  id: number;
  at: string;
  actor_id: number | null;
  /** The actor's username then, or the login name tried on a failed sign-in. */
  actor: string | null;
  action: string;
  /** What was acted on, e.g. "user:7 bob" or "token:12". */
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

/** GET /api/admin/audit?limit&cursor&action&actor: newest first. */
export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `cursor` for the next (older) page; null at the end. */
  next_cursor: string | null;
}
