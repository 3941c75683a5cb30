import { AppConfig } from '@lmarena-bridge/config';
import { Command } from 'commander';
import { CliError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { checkBuild, checkDatabase, checkPort, checkRedis, CheckResult, installRoot } from './doctor-checks';

const MARK: Record<CheckResult['level'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the configuration, database and migrations, Redis, the two ports and the built files; changes nothing')
    .action(async () => {
      const results: CheckResult[] = [];
      let config: AppConfig | null = null;
      try {
        config = ctx.config();
        results.push({ name: 'config', level: 'ok', detail: `${config.config_path} (${config.models.length} models from ${config.models_path})` });
      } catch (err) {
        results.push({ name: 'config', level: 'fail', detail: (err as Error).message });
      }
      if (config) {
        results.push(await checkDatabase(config), await checkRedis(config));
        results.push(
          await checkPort('proxy-api', config.proxy.host, config.proxy.port),
          await checkPort('dashboard-api', config.dashboard.host, config.dashboard.port),
        );
        if (config.use_dashboard_tokens === false && config.api_key === '')
          results.push({ name: 'proxy auth', level: 'warn', detail: 'use_dashboard_tokens is false and api_key is empty: the proxy is open to anyone' });
      }
      results.push(...checkBuild(installRoot()));
      const width = Math.max(...results.map((r) => r.name.length));
      for (const r of results) ctx.out(`${MARK[r.level]}  ${r.name.padEnd(width)}  ${r.detail}`);
      const failed = results.filter((r) => r.level === 'fail').length;
      if (failed > 0) throw new CliError(`${failed} check(s) failed`);
      ctx.out('all checks passed');
    });
}
