import type { TokenLimits, TokenLimitsInput } from './limits';

/** A dashboard account as the API shows it: never a password hash. */
export type UserRole = 'admin' | 'user';

export interface User {
  id: number;
  username: string;
  email: string;
  role: UserRole;
  created_at: string;
  last_login_at: string | null;
  /** Caps an admin set on every token of this user (every field null: none). */
  limits: TokenLimits;
}

/** What admins see in the user list. */
export interface AdminUser extends User {
  disabled: boolean;
  token_count: number;
}

export interface UserResponse {
  user: User;
}

/** GET /api/admin/users. */
export interface AdminUserList {
  users: AdminUser[];
}

/**
 * PATCH /api/admin/users/:id: at least one of the three. `limits` works as in TokenChanges:
 * a field left out stays, a field given as null is lifted, `limits: null` lifts every cap.
 */
export interface AdminUserChanges {
  disabled?: boolean;
  role?: UserRole;
  limits?: TokenLimitsInput | null;
}

/** POST /api/admin/init and POST /api/auth/register. */
export interface NewAccount {
  username: string;
  email: string;
  password: string;
}
