import type { EntityManager } from 'typeorm';

/** An event about a user's things (a token created, revoked…), for the notifications. */
export interface DomainEvent {
  type: 'token.created' | 'token.revoked';
  /** Whose event it is: the owner of the token. */
  userId: number;
  data: Record<string, unknown>;
}

/**
 * Where services record events, with the manager of the transaction that makes the change, so
 * the event is committed exactly when the change is (a transactional outbox). Provided by the
 * notifications library in the dashboard; absent elsewhere (then nothing is recorded). An
 * abstract class so it can be the injection token without auth depending on notifications.
 */
export abstract class DomainEventSink {
  abstract record(manager: EntityManager, event: DomainEvent, at: Date): Promise<void>;
}
