/** A dashboard account as the API shows it: never a password hash. */
export type UserRole = 'admin' | 'user';

export interface User {
  id: number;
  username: string;
  email: string;
  role: UserRole;
  created_at: string;
  last_login_at: string | null;
}

/** What admins see in the user list. */
export interface AdminUser extends User {
  disabled: boolean;
  token_count: number;
}

export interface UserResponse {
  user: User;
}
