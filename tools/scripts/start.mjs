#!/usr/bin/env node
// Starts the built servers in production mode: `node tools/scripts/start.mjs [app ...]`
// (default: both). Builds first through Nx, whose cache makes that instant when nothing
// changed. SIGTERM/SIGINT are passed to the servers, which flush and stop cleanly; if one
// server dies, the other is stopped too and its exit status is returned.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const known = ['proxy-api', 'dashboard-api'];
const apps = process.argv.slice(2).length ? process.argv.slice(2) : known;
for (const app of apps) {
  if (!known.includes(app)) {
    console.error(`unknown app "${app}"; expected one of: ${known.join(', ')}`);
    process.exit(2);
  }
}

const projects = apps.includes('dashboard-api') ? [...apps, 'dashboard-web'] : apps;
const build = spawnSync(
  process.execPath,
  [join(root, 'node_modules/nx/dist/bin/nx.js'), 'run-many', '-t', 'build', '-p', projects.join(','), '--outputStyle=static'],
  { cwd: root, stdio: 'inherit', env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...process.env } },
);
if (build.status !== 0) process.exit(build.status ?? 1);

const children = apps.map((app) =>
  spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { NODE_ENV: 'production', ...process.env },
  }),
);

let exitCode = 0;
let stopping = false;
const stopAll = (signal) => {
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

let running = children.length;
for (const child of children) {
  child.on('exit', (code, signal) => {
    if (code !== 0 || signal) exitCode = exitCode || code || 1;
    if (!stopping) stopAll('SIGTERM');
    if (--running === 0) process.exit(exitCode);
  });
}
