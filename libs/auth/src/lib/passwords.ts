import * as bcrypt from 'bcrypt';

export const BCRYPT_COST = 12;
export const PASSWORD_MIN_CHARS = 8;
/** bcrypt ignores everything past 72 bytes; a longer password is refused, never cut. */
export const PASSWORD_MAX_BYTES = 72;

export function passwordTooLong(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES;
}

/** Why a password is not acceptable, or null when it is. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < PASSWORD_MIN_CHARS) return `password must be at least ${PASSWORD_MIN_CHARS} characters`;
  if (passwordTooLong(password)) return `password must be at most ${PASSWORD_MAX_BYTES} bytes (UTF-8)`;
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

// Compared against when the user does not exist, so an unknown username costs the same
// bcrypt time as a wrong password and the two cannot be told apart by timing.
const DUMMY_HASH = bcrypt.hashSync('not-a-real-password', BCRYPT_COST);

export async function burnPasswordCheck(password: string): Promise<false> {
  await bcrypt.compare(password, DUMMY_HASH);
  return false;
}
