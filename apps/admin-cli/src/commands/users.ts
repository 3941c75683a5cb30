import { SessionEntity, UserEntity, UsersService, hashPassword, passwordProblem } from '@lmarena-bridge/auth';
import { Command } from 'commander';
import { IsNull } from 'typeorm';
import { DataSource } from 'typeorm';
import { withAdminContext } from '../admin-context';
import { CliError, describeError, usageError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { readNewPassword } from '../password-input';

const passwordOptions = (cmd: Command) =>
  cmd
    .option('--password-stdin', 'read the password from standard input (a pipe)')
    .option('--password-env <name>', 'environment variable holding the password', 'ADMIN_PASSWORD');

async function findUser(dataSource: DataSource, login: string): Promise<UserEntity> {
  const user = await dataSource
    .getRepository(UserEntity)
    .createQueryBuilder('u')
    .where('lower(u.username) = lower(:login) OR u.email = lower(:login)', { login })
    .getOne();
  if (!user) throw new CliError(`no user named "${login}"`);
  return user;
}

export function registerUserCommands(program: Command, ctx: CliContext): void {
  passwordOptions(
    program
      .command('create-admin')
      .description('create an admin account (works while registration is closed and on an empty database)')
      .requiredOption('--username <name>', "the new account's username")
      .requiredOption('--email <address>', "the new account's e-mail"),
  ).action(async (opts: { username: string; email: string; passwordStdin?: boolean; passwordEnv: string }) => {
    const password = await readNewPassword(opts, ctx.env, ctx.stdin);
    const problem = passwordProblem(password);
    if (problem) throw usageError(problem);
    const user = await withAdminContext(ctx.config(), (app) =>
      app
        .get(UsersService)
        .create({ username: opts.username, email: opts.email, password, role: 'admin' })
        .catch((err: unknown) => {
          throw new CliError(describeError(err));
        }),
    );
    ctx.out(`created admin "${user.username}" (id ${user.id})`);
  });

  passwordOptions(
    program.command('reset-password').description('set a new password for a user and sign out all of their sessions').argument('<user>', 'username or e-mail'),
  ).action(async (login: string, opts: { passwordStdin?: boolean; passwordEnv: string }) => {
    const password = await readNewPassword(opts, ctx.env, ctx.stdin);
    const problem = passwordProblem(password);
    if (problem) throw usageError(problem);
    const name = await withAdminContext(ctx.config(), async (app) => {
      const dataSource = app.get(DataSource);
      const user = await findUser(dataSource, login);
      const passwordHash = await hashPassword(password);
      await dataSource.transaction(async (manager) => {
        await manager.getRepository(UserEntity).update({ id: user.id }, { passwordHash, updatedAt: new Date() });
        await manager.getRepository(SessionEntity).update({ userId: user.id, revokedAt: IsNull() }, { revokedAt: new Date() });
      });
      return user.username;
    });
    ctx.out(`password of "${name}" changed; their sessions are signed out`);
  });

  program
    .command('disable-user')
    .description('disable an account (its sessions end, its tokens stop at every proxy); --enable undoes it')
    .argument('<user>', 'username or e-mail')
    .option('--enable', 'enable the account again instead')
    .action(async (login: string, opts: { enable?: boolean }) => {
      const name = await withAdminContext(ctx.config(), async (app) => {
        const user = await findUser(app.get(DataSource), login);
        await app
          .get(UsersService)
          .update(user.id, { disabled: !opts.enable })
          .catch((err: unknown) => {
            throw new CliError(describeError(err));
          });
        return user.username;
      });
      ctx.out(`${opts.enable ? 'enabled' : 'disabled'} "${name}"`);
    });
}
