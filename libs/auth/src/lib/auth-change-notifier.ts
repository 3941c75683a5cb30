import { Logger } from '@nestjs/common';

/** What changed, for a listener that wants to do less than drop everything. */
export type AuthChange =
  | { kind: 'token'; id: number; what: 'revoked' | 'changed' }
  | { kind: 'user'; id: number; what: 'disabled' | 'enabled' | 'changed' }
  | { kind: 'ip_denylist' };

/**
 * Told after a change that bumped the auth epoch has committed (a revocation, a disabled or
 * re-enabled owner, changed limits or caps, the proxy-wide deny list), so that proxies can
 * act at once instead of at their next epoch poll. Best effort: the epoch, bumped in the
 * change's own transaction, stays the source of truth and the fallback for a lost message.
 *
 * The default does nothing. To bind a real one (Redis pub/sub), export a provider for this
 * class from a @Global() module of the app: the services of AuthModule inject it as optional,
 * so they pick up a global binding and fall back to the no-op without one.
 */
export abstract class AuthChangeNotifier {
  abstract changed(change: AuthChange): void | Promise<void>;
}

/** The notifier when none is bound: the auth epoch poll alone carries changes. */
export class NoAuthChangeNotifier extends AuthChangeNotifier {
  changed(): void {
    // nothing to tell: proxies see the epoch move at their next poll
  }
}

const logger = new Logger('AuthChangeNotifier');

/**
 * Calls the notifier after commit. A failure is logged, never thrown: the change is already
 * committed, and a notifier that cannot reach Redis must not turn a done change into an error
 * answer (the epoch poll carries it). Awaited, so that an answer to the change means the
 * proxies have been told; a binding that can stall (Redis unreachable) must bound its own wait.
 */
export async function notifyAuthChange(notifier: AuthChangeNotifier | undefined | null, change: AuthChange): Promise<void> {
  if (!notifier) return;
  try {
    await notifier.changed(change);
  } catch (err) {
    logger.warn(`could not announce a ${change.kind} change (the auth epoch poll will carry it): ${err instanceof Error ? err.message : String(err)}`);
  }
}
