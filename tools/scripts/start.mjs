#!/usr/bin/env node
// Starts the built servers in production mode: `node tools/scripts/start.mjs [app ...]`
// (default: both). In a checkout it builds first through Nx, whose cache makes that instant
// when nothing changed; in a production install (no Nx: `npm ci --omit=dev`, the container
// image) it runs the built dist/ as is. SIGTERM/SIGINT/SIGHUP — to this process, or to
// `npm start` above it — are passed to the build or the servers, which flush and stop
// cleanly; if one server dies, the other is stopped too and its exit status is returned.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** Every process this script started and that still runs. */
const running = new Set();
let stopping = false;
let exitCode = 0;
const stopAll = (signal) => {
  stopping = true;
  for (const child of running) child.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopAll(signal);
    if (running.size === 0) process.exit(exitCode);
  });
}

function track(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

const nx = join(root, 'node_modules/nx/dist/bin/nx.js');
if (existsSync(nx)) {
  // Asynchronous, so a signal during the build reaches the handlers above (spawnSync would
  // leave this process deaf until the build ended).
  const projects = apps.includes('dashboard-api') ? [...apps, 'dashboard-web'] : apps;
  const build = track(
    spawn(process.execPath, [nx, 'run-many', '-t', 'build', '-p', projects.join(','), '--outputStyle=static'], {
      cwd: root,
      stdio: 'inherit',
      env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...process.env },
    }),
  );
  const [code, signal] = await new Promise((resolve) => build.once('exit', (c, s) => resolve([c, s])));
  if (stopping) process.exit(1);
  if (code !== 0) process.exit(code ?? (signal ? 1 : 1));
}

for (const app of apps) {
  const main = join(root, 'dist/apps', app, 'main.js');
  if (!existsSync(main)) {
    console.error(`${main} is missing: run "npm run build"`);
    process.exit(1);
  }
}

const children = apps.map((app) =>
  track(
    spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], {
      cwd: root,
      stdio: 'inherit',
      env: { NODE_ENV: 'production', ...process.env },
    }),
  ),
);

for (const child of children) {
  child.on('exit', (code, signal) => {
    if (code !== 0 || (signal && !stopping)) exitCode = exitCode || code || 1;
    if (!stopping) stopAll('SIGTERM');
    if (running.size === 0) process.exit(exitCode);
  });
}
