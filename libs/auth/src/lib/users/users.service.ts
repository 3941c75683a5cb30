import { runInTransaction } from '@lmarena-bridge/database';
import type { AdminUser, UserRole } from '@lmarena-bridge/contracts';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { bumpAuthEpoch } from '../auth-epoch';
import { ApiTokenEntity } from '../entities/api-token.entity';
import { SessionEntity } from '../entities/session.entity';
import { UserEntity } from '../entities/user.entity';
import { burnPasswordCheck, hashPassword, passwordProblem, passwordTooLong, verifyPassword } from '../passwords';
import { toAdminUser } from './user.mapper';

export interface NewUser {
  username: string;
  email: string;
  password: string;
  role: UserRole;
}

export interface UserChanges {
  disabled?: boolean;
  role?: UserRole;
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
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  findById(id: number): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ id });
  }

  /**
   * Creates an account. `onlyIfNoUsers` makes the check-and-insert one serialized transaction, so two
   * concurrent "first admin" requests cannot both succeed.
   */
  async create(input: NewUser, opts: { onlyIfNoUsers?: boolean } = {}): Promise<UserEntity> {
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
        return users.save(users.create({
          username: input.username,
          email: input.email.toLowerCase(),
          passwordHash,
          role: input.role,
          disabled: false,
          createdAt: now,
          updatedAt: now,
          lastLoginAt: null,
        }));
      });
    } catch (err) {
      // A concurrent insert can still win the race past assertFree; the unique indexes decide.
      if (isUniqueViolation(err)) throw new ConflictException('That username or email is already registered.');
      throw err;
    }
  }

  private async assertFree(manager: EntityManager, username: string, email: string): Promise<void> {
    const taken = await manager.getRepository(UserEntity)
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
  async checkCredentials(login: string, password: string): Promise<UserEntity | null> {
    const user = await this.dataSource.getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:login) OR u.email = lower(:login)', { login })
      .getOne();
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
    const counts: Array<{ userId: number | string; n: number | string }> = await this.dataSource.getRepository(ApiTokenEntity)
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
   */
  async update(id: number, changes: UserChanges): Promise<UserEntity> {
    return runInTransaction(this.dataSource, async (manager) => {
      if (changes.role === 'user' || changes.disabled === true) await serializeAccountChecks(manager);
      const users = manager.getRepository(UserEntity);
      const user = await users.findOneBy({ id });
      if (!user) throw new NotFoundException('User not found.');
      const losesAdmin = user.role === 'admin' && !user.disabled && (changes.role === 'user' || changes.disabled === true);
      if (losesAdmin) {
        const otherAdmins = await users.createQueryBuilder('u')
          .where('u.role = :role AND u.disabled = FALSE AND u.id <> :id', { role: 'admin', id })
          .getCount();
        if (otherAdmins === 0) throw new ConflictException('This is the last active admin: promote another user first.');
      }
      if (changes.role !== undefined) user.role = changes.role;
      if (changes.disabled !== undefined) user.disabled = changes.disabled;
      user.updatedAt = new Date();
      await users.save(user);
      if (changes.disabled === true) {
        await manager.getRepository(SessionEntity).createQueryBuilder()
          .update().set({ revokedAt: new Date() })
          .where('user_id = :id AND revoked_at IS NULL', { id })
          .execute();
      }
      if (changes.disabled !== undefined) await bumpAuthEpoch(manager);
      return user;
    });
  }
}
