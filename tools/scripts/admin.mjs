#!/usr/bin/env node
// `npm run admin -- <command> [options]`: the administration CLI (apps/admin-cli). In a
// checkout it is (re)built through Nx first, whose cache makes that quick when nothing
// changed; the build's output is shown only if it fails, so standard output stays the
// command's own (an export can be piped). In a production install (no Nx) the built
// dist/apps/admin-cli/main.js runs as is.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nx = join(root, 'node_modules/nx/dist/bin/nx.js');
const main = join(root, 'dist/apps/admin-cli/main.js');

if (existsSync(nx) && process.env.LMB_ADMIN_NO_BUILD !== '1') {
  const build = spawnSync(process.execPath, [nx, 'run', 'admin-cli:build', '--outputStyle=static'], {
    cwd: root,
    encoding: 'utf8',
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...process.env },
  });
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout}${build.stderr}\nerror: building the admin CLI failed\n`);
    process.exit(1);
  }
}
if (!existsSync(main)) {
  process.stderr.write(`error: ${main} is missing: run "npm run build"\n`);
  process.exit(1);
}
const child = spawn(process.execPath, [main, ...process.argv.slice(2)], { cwd: process.cwd(), stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
