import { StoredAdminToken, TokensService } from '@lmarena-bridge/auth';
import { Command, InvalidArgumentError } from 'commander';
import { withAdminContext } from '../admin-context';
import { CliError, describeError, usageError } from '../cli-error';
import type { CliContext } from '../cli-context';

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number from 1');
  return Number(value);
}

const COLUMNS: Array<[string, (t: StoredAdminToken) => string]> = [
  ['ID', (t) => String(t.id)],
  ['USER', (t) => t.username],
  ['NAME', (t) => t.name],
  ['TOKEN', (t) => t.hint],
  ['STATUS', (t) => t.status],
  ['CREATED', (t) => t.created_at],
  ['LAST USED', (t) => t.last_used_at ?? '—'],
  ['EXPIRES', (t) => t.expires_at ?? '—'],
];

/** A plain table; names are printed as JSON strings when they hold control characters. */
function table(tokens: StoredAdminToken[]): string[] {
  const cell = (text: string) => (/[\p{Cc}]/u.test(text) ? JSON.stringify(text) : text);
  const rows = [COLUMNS.map(([h]) => h), ...tokens.map((t) => COLUMNS.map(([, f]) => cell(f(t))))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  program
    .command('list-tokens')
    .description("list every user's API tokens (the secret is never shown, only its hint)")
    .option('--user <name>', "only this user's tokens")
    .option('--status <status>', 'only active, expired or revoked tokens')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { user?: string; status?: string; json?: boolean }) => {
      if (opts.status && !['active', 'expired', 'revoked'].includes(opts.status)) throw usageError('--status: expected active, expired or revoked');
      const all = await withAdminContext(ctx.config(), (app) => app.get(TokensService).listAll());
      const tokens = all.filter((t) => (!opts.user || t.username.toLowerCase() === opts.user.toLowerCase()) && (!opts.status || t.status === opts.status));
      if (opts.json) ctx.out(JSON.stringify({ tokens }, null, 2));
      else if (tokens.length === 0) ctx.out('no tokens');
      else for (const line of table(tokens)) ctx.out(line);
    });

  program
    .command('revoke-token')
    .description('revoke an API token by id (see list-tokens); every proxy refuses it from then on')
    .argument('<id>', 'the token id', positiveInt)
    .action(async (id: number) => {
      await withAdminContext(ctx.config(), (app) =>
        app
          .get(TokensService)
          .revoke(id, { id: 0, role: 'admin' })
          .catch((err: unknown) => {
            throw new CliError(`token ${id}: ${describeError(err)}`);
          }),
      );
      ctx.out(`revoked token ${id}`);
    });
}
