import { runInTransaction } from '@lmarena-bridge/database';
import type { AdminUser, TokenLimitsInput, UserRole } from '@lmarena-bridge/contracts';
import { BadRequestException, ConflictException, Injectable, NotFoundException, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAuditEvent } from '../audit/audit.service';
import { AuthChangeNotifier, notifyAuthChange } from '../auth-change-notifier';
import { bumpAuthEpoch } from '../auth-epoch';
import { ApiTokenEntity } from '../entities/api-token.entity';
import { UserEntity } from '../entities/user.entity';
import { applyLimitsChange, decodeLimits, encodeLimits, normalizeLimitsInput, setLimits } from '../limits/limits-rules';
import { sha256Hex } from '../secrets';
import { revokeUserSessions } from '../sessions/sessions.service';
import { burnPasswordCheck, hashPassword, passwordProblem, passwordTooLong, verifyPassword } from '../passwords';
import { toAdminUser } from './user.mapper';

export interface NewUser {
  username: string;
  email: string;
  password: string;
  role: UserRole;
}

/** How an account came to be, for the audit log. */
export interface CreationAudit {
  actor: AuditActor;
  via: 'init' | 'register' | 'admin' | 'bootstrap';
}

export interface UserChanges {
  disabled?: boolean;
  role?: UserRole;
  /** The user's caps: a field left out stays, one given as null is lifted; null lifts every cap. */
  limits?: TokenLimitsInput | null;
}

// Any constant (distinct from the migration lock): names the lock taken below.
const PG_ACCOUNT_CHECK_LOCK = 584_211_008;

/**
 * PostgreSQL runs transactions at READ COMMITTED, so two concurrent "count, then write"
 * transactions (the first admin, the last active admin) would both pass their count. This
 * transaction-scoped lock makes them take turns; it is released at commit or rollback.
 * SQLite has a single writer connection and needs nothing.
 */
async function serializeAccountChecks(manager: EntityManager): Promise<void> {
  if (manager.connection.options.type === 'postgres') {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [PG_ACCOUNT_CHECK_LOCK]);
  }
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(e.message ?? '');
}

/** Accounts: creation, credential checks, admin changes. */
@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() private readonly notifier?: AuthChangeNotifier,
  ) {}

  count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  findById(id: number): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ id });
  }

  /** The account a login name (username or email, any letter case) names, if any. */
  findByLogin(login: string): Promise<UserEntity | null> {
    return this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:login) OR u.email = lower(:login)', { login })
      .getOne();
  }

  /**
   * Creates an account. `onlyIfNoUsers` makes the check-and-insert one serialized transaction, so two
   * concurrent "first admin" requests cannot both succeed.
   */
  async create(input: NewUser, opts: { onlyIfNoUsers?: boolean; audit?: CreationAudit } = {}): Promise<UserEntity> {
    const problem = passwordProblem(input.password);
    if (problem) throw new BadRequestException([problem]);
    const passwordHash = await hashPassword(input.password);
    const now = new Date();
    try {
      return await runInTransaction(this.dataSource, async (manager) => {
        const users = manager.getRepository(UserEntity);
        if (opts.onlyIfNoUsers) await serializeAccountChecks(manager);
        if (opts.onlyIfNoUsers && (await users.count()) > 0) {
          throw new ConflictException('The first user already exists; sign in instead.');
        }
        await this.assertFree(manager, input.username, input.email);
        const user = await users.save(
          users.create({
            username: input.username,
            email: input.email.toLowerCase(),
            passwordHash,
            role: input.role,
            disabled: false,
            createdAt: now,
            updatedAt: now,
            lastLoginAt: null,
          }),
        );
        if (opts.audit) {
          const actor = opts.audit.actor.id === null ? { ...opts.audit.actor, id: user.id, name: user.username } : opts.audit.actor;
          await recordAuditEvent(
            manager,
            {
              action: 'user.created',
              actor,
              target: `user:${user.id} ${user.username}`,
              detail: { role: user.role, via: opts.audit.via },
            },
            now,
          );
        }
        return user;
      });
    } catch (err) {
      // A concurrent insert can still win the race past assertFree; the unique indexes decide.
      if (isUniqueViolation(err)) throw new ConflictException('That username or email is already registered.');
      throw err;
    }
  }

  private async assertFree(manager: EntityManager, username: string, email: string): Promise<void> {
    const taken = await manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .select(['u.username', 'u.email'])
      .where('lower(u.username) = lower(:username)', { username })
      .orWhere('lower(u.email) = lower(:email)', { email })
      .getMany();
    if (taken.some((u) => u.username.toLowerCase() === username.toLowerCase())) {
      throw new ConflictException('That username is already taken.');
    }
    if (taken.length) throw new ConflictException('That email is already registered.');
  }

  /**
   * Checks credentials (username or email, case-insensitive). Unknown user, wrong password
   * and disabled account all answer null after the same bcrypt work.
   */
  async checkCredentials(login: string, password: string, found?: UserEntity | null): Promise<UserEntity | null> {
    const user = found !== undefined ? found : await this.findByLogin(login);
    // bcrypt would silently ignore bytes past 72: such a password can never be right.
    if (!user || passwordTooLong(password)) return burnPasswordCheck(password).then(() => null);
    const ok = await verifyPassword(password, user.passwordHash);
    if (!ok || user.disabled) return null;
    user.lastLoginAt = new Date();
    await this.dataSource.getRepository(UserEntity).update({ id: user.id }, { lastLoginAt: user.lastLoginAt });
    return user;
  }

  async listWithTokenCounts(): Promise<AdminUser[]> {
    const users = await this.dataSource.getRepository(UserEntity).find({ order: { id: 'ASC' } });
    const counts: Array<{ userId: number | string; n: number | string }> = await this.dataSource
      .getRepository(ApiTokenEntity)
      .createQueryBuilder('t')
      .select('t.user_id', 'userId')
      .addSelect('COUNT(*)', 'n')
      .groupBy('t.user_id')
      .getRawMany();
    const byUser = new Map(counts.map((c) => [Number(c.userId), Number(c.n)]));
    return users.map((u) => toAdminUser(u, byUser.get(u.id) ?? 0));
  }

  /**
   * Admin changes. Disabling revokes the user's sessions and, through the auth epoch, stops
   * their tokens at every proxy. The last active admin can be neither demoted nor disabled.
   * Changed caps bump the epoch too (proxies cache them with each token) and are audited with
   * the caps before and after. The proxies are told after commit.
   */
  async update(id: number, changes: UserChanges, audit?: AuditActor): Promise<UserEntity> {
    const limitsChange = changes.limits === undefined || changes.limits === null ? changes.limits : normalizeLimitsInput(changes.limits);
    const { user, announce } = await runInTransaction(this.dataSource, async (manager) => {
      if (changes.role === 'user' || changes.disabled === true) await serializeAccountChecks(manager);
      const users = manager.getRepository(UserEntity);
      // Locked on PostgreSQL so that two concurrent cap changes do not merge into the same old caps.
      const pg = manager.connection.options.type === 'postgres';
      const user = await users.findOne({ where: { id }, ...(pg ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
      if (!user) throw new NotFoundException('User not found.');
      const losesAdmin = user.role === 'admin' && !user.disabled && (changes.role === 'user' || changes.disabled === true);
      if (losesAdmin) {
        const otherAdmins = await users
          .createQueryBuilder('u')
          .where('u.role = :role AND u.disabled = FALSE AND u.id <> :id', { role: 'admin', id })
          .getCount();
        if (otherAdmins === 0) throw new ConflictException('This is the last active admin: promote another user first.');
      }
      const target = `user:${user.id} ${user.username}`;
      if (audit && changes.role !== undefined && changes.role !== user.role) {
        await recordAuditEvent(manager, { action: 'user.role_changed', actor: audit, target, detail: { from: user.role, to: changes.role } });
      }
      const disabledChanged = changes.disabled !== undefined && changes.disabled !== user.disabled;
      if (audit && disabledChanged) {
        await recordAuditEvent(manager, { action: changes.disabled ? 'user.disabled' : 'user.enabled', actor: audit, target });
      }
      const capsBefore = decodeLimits(user.limits, `users ${user.id}`);
      const capsAfter = applyLimitsChange(capsBefore, limitsChange);
      const capsChanged = encodeLimits(capsAfter) !== encodeLimits(capsBefore);
      if (audit && capsChanged) {
        await recordAuditEvent(manager, {
          action: 'user.limits_changed',
          actor: audit,
          target,
          detail: { from: setLimits(capsBefore), to: setLimits(capsAfter) },
        });
      }
      if (changes.role !== undefined) user.role = changes.role;
      if (changes.disabled !== undefined) user.disabled = changes.disabled;
      user.limits = encodeLimits(capsAfter);
      user.updatedAt = new Date();
      await users.save(user);
      if (changes.disabled === true) await revokeUserSessions(manager, id);
      const bumped = changes.disabled !== undefined || capsChanged;
      if (bumped) await bumpAuthEpoch(manager);
      return { user, announce: bumped };
    });
    if (announce) {
      await notifyAuthChange(this.notifier, {
        kind: 'user',
        id,
        what: changes.disabled === true ? 'disabled' : changes.disabled === false ? 'enabled' : 'changed',
      });
    }
    return user;
  }

  /**
   * The user changes their own password: the current one must be right (false otherwise).
   * Every other session of theirs ends in the same transaction; the one given stays.
   */
  async changePassword(userId: number, current: string, next: string, keepSessionId: string, audit: AuditActor): Promise<boolean> {
    const problem = passwordProblem(next);
    if (problem) throw new BadRequestException([problem.replace(/^password/, 'new_password')]);
    const user = await this.findById(userId);
    if (!user || passwordTooLong(current) || !(await verifyPassword(current, user.passwordHash))) return false;
    const passwordHash = await hashPassword(next);
    await runInTransaction(this.dataSource, async (manager) => {
      const now = new Date();
      await manager.getRepository(UserEntity).update({ id: userId }, { passwordHash, updatedAt: now });
      const ended = await revokeUserSessions(manager, userId, sha256Hex(keepSessionId), now);
      await recordAuditEvent(
        manager,
        {
          action: 'auth.password_changed',
          actor: audit,
          target: `user:${userId} ${user.username}`,
          detail: { sessions_ended: ended },
        },
        now,
      );
    });
    return true;
  }

  /** An admin sets a user's password; all of that user's sessions end. */
  async setPassword(userId: number, next: string, audit: AuditActor): Promise<void> {
    const problem = passwordProblem(next);
    if (problem) throw new BadRequestException([problem.replace(/^password/, 'new_password')]);
    const passwordHash = await hashPassword(next);
    await runInTransaction(this.dataSource, async (manager) => {
      const now = new Date();
      const user = await manager.getRepository(UserEntity).findOneBy({ id: userId });
      if (!user) throw new NotFoundException('User not found.');
      await manager.getRepository(UserEntity).update({ id: userId }, { passwordHash, updatedAt: now });
      const ended = await revokeUserSessions(manager, userId, null, now);
      await recordAuditEvent(
        manager,
        {
          action: 'user.password_reset',
          actor: audit,
          target: `user:${userId} ${user.username}`,
          detail: { sessions_ended: ended },
        },
        now,
      );
    });
  }
}
