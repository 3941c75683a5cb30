import { BridgeKeysService } from '@lmarena-bridge/bridge';
import { bridgeWebSocketUrl } from '@lmarena-bridge/config';
import { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withAdminContext } from '../admin-context';
import { CliError, describeError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { installRoot } from './doctor-checks';

// The same template contract as the dashboard's download (apps/dashboard-api/src/app/bridge/userscript-file.ts):
// the build leaves each placeholder once, as a JS string literal.
export const USERSCRIPT_FILENAME = 'lmarena-bridge.user.js';
const PROXY_URL_PLACEHOLDER = '"__LMB_PROXY_URL__"';
const BRIDGE_KEY_PLACEHOLDER = '"__LMB_BRIDGE_KEY__"';

function readTemplate(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `the userscript is not built (${path} is missing): run "npx nx build lmarena-userscript" or set LMB_USERSCRIPT`
        : `cannot read ${path}: ${code ?? 'error'}`,
    );
  }
  for (const placeholder of [PROXY_URL_PLACEHOLDER, BRIDGE_KEY_PLACEHOLDER]) {
    const n = text.split(placeholder).length - 1;
    if (n !== 1) throw new CliError(`${path} holds ${placeholder} ${n} times instead of once: rebuild it`);
  }
  return text;
}

export function registerBridgeUserscriptCommand(program: Command, ctx: CliContext): void {
  program
    .command('bridge-userscript')
    .description('make a new bridge key and write the userscript holding it (and the proxy URL) to a file')
    .requiredOption('--name <name>', 'what the key is for (shown on the Bridge page), 1 to 100 characters')
    .option('-o, --output <file>', 'where to write the userscript', USERSCRIPT_FILENAME)
    .option('--force', 'overwrite the output file if it exists')
    .action(async (opts: { name: string; output: string; force?: boolean }) => {
      const output = resolve(opts.output);
      if (existsSync(output) && !opts.force) throw new CliError(`${output} exists: choose another --output or pass --force`);
      const config = ctx.config();
      // Template first: no key is made for a build that cannot carry it.
      const template = readTemplate(resolve(ctx.env['LMB_USERSCRIPT'] ?? join(installRoot(), 'dist', 'apps', 'lmarena-userscript', USERSCRIPT_FILENAME)));
      const { key, secret } = await withAdminContext(config, (app) =>
        app
          .get(BridgeKeysService)
          .create(opts.name, null)
          .catch((err: unknown) => {
            throw new CliError(describeError(err));
          }),
      );
      // split/join, not replace: a `$&` in a value would be a replacement pattern.
      const script = template
        .split(PROXY_URL_PLACEHOLDER)
        .join(JSON.stringify(bridgeWebSocketUrl(config)))
        .split(BRIDGE_KEY_PLACEHOLDER)
        .join(JSON.stringify(secret));
      // The file holds a secret: readable by its owner only.
      writeFileSync(output, script, { mode: 0o600 });
      ctx.out(`bridge key ${key.id} "${key.name}" created; the userscript holding it is ${output}`);
      ctx.out('install it in the browser (Tampermonkey/Violentmonkey), then delete the file; revoke the key on the Bridge page');
    });
}
