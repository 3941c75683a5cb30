import { UserEntity } from '@lmarena-bridge/auth';
import { AppConfig } from '@lmarena-bridge/config';
import { UsageExportFormat, UsageExportService, UsageRetentionService, UsageScope } from '@lmarena-bridge/usage';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { withAdminContext } from '../admin-context';
import { CliError, usageError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { positiveInt } from './tokens';

function days(value: string): number {
  const n = positiveInt(value);
  if (n > 36_500) throw new InvalidArgumentError('expected at most 36500');
  return n;
}

export function registerUsageCommands(program: Command, ctx: CliContext): void {
  program
    .command('prune-usage')
    .description('delete raw usage rows older than usage.retention_days now (daily rollups stay)')
    .option('--older-than-days <n>', 'keep this many days instead of usage.retention_days', days)
    .action(async (opts: { olderThanDays?: number }) => {
      const base = ctx.config();
      const config: AppConfig = opts.olderThanDays ? { ...base, usage: { ...base.usage, retention_days: opts.olderThanDays } } : base;
      const deleted = await withAdminContext(config, (app) => app.get(UsageRetentionService).runRetentionOnce());
      ctx.out(`deleted ${deleted} usage row(s) older than ${config.usage.retention_days} day(s)`);
    });

  program
    .command('export-usage')
    .description("write the request log as CSV or JSON (as the dashboard's export does)")
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'json']).default('csv'))
    .option('--days <n>', 'only the last n UTC days (default: every stored row)', days)
    .option('--user <name>', "only this user's requests")
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (opts: { format: UsageExportFormat; days?: number; user?: string; output?: string }) => {
      if (opts.days !== undefined && opts.days > 365) throw usageError('--days: expected at most 365');
      await withAdminContext(ctx.config(), async (app) => {
        let scope: UsageScope = 'all';
        if (opts.user) {
          const user = await app
            .get(DataSource)
            .getRepository(UserEntity)
            .createQueryBuilder('u')
            .where('lower(u.username) = lower(:name)', { name: opts.user })
            .getOne();
          if (!user) throw new CliError(`no user named "${opts.user}"`);
          scope = { userId: user.id };
        }
        const file = await app.get(UsageExportService).open({ days: opts.days }, scope, opts.format);
        if (opts.output) {
          await pipeline(file.stream, createWriteStream(opts.output));
          ctx.out(`wrote ${opts.output}`);
        } else {
          for await (const chunk of file.stream) await ctx.write(String(chunk));
        }
      });
    });
}
