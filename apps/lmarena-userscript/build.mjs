// Builds the userscript: one readable IIFE with the Tampermonkey/Violentmonkey header.
// Usage: node apps/lmarena-userscript/build.mjs [--outfile <path>]
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = dirname(fileURLToPath(import.meta.url));
const workspaceRoot = resolve(projectDir, '../..');
const outfileArg = process.argv.indexOf('--outfile');
const outfile = outfileArg > 0 ? resolve(process.argv[outfileArg + 1]) : join(workspaceRoot, 'dist/apps/lmarena-userscript/lmarena-bridge.user.js');

const versionSource = readFileSync(join(projectDir, 'src/lib/version.ts'), 'utf8');
const version = /export const VERSION = '([^']+)'/.exec(versionSource)?.[1];
if (!version) throw new Error("src/lib/version.ts: no `export const VERSION = '…'` found");

const header = [
  '// ==UserScript==',
  '// @name         LMArena Bridge',
  '// @namespace    https://github.com/lmarena-bridge',
  `// @version      ${version}`,
  '// @description  Lets your LMArena Bridge proxy use the LMArena models through this signed-in arena.ai tab.',
  '// @match        https://arena.ai/*',
  '// @match        https://www.arena.ai/*',
  '// @match        https://lmarena.ai/*',
  '// @match        https://www.lmarena.ai/*',
  '// @run-at       document-idle',
  '// @noframes',
  '// @grant        none',
  '// ==/UserScript==',
  '',
].join('\n');

const result = await build({
  entryPoints: [join(projectDir, 'src/main.ts')],
  bundle: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  minify: false,
  charset: 'utf8',
  legalComments: 'none',
  banner: { js: header },
  tsconfig: join(projectDir, 'tsconfig.app.json'),
  outfile,
  write: false,
  logLevel: 'warning',
});

const code = result.outputFiles[0].text;
// The dashboard fills the script in by replacing these literals: each must be there once.
for (const slot of ['"__LMB_PROXY_URL__"', '"__LMB_BRIDGE_KEY__"']) {
  const count = code.split(slot).length - 1;
  if (count !== 1) throw new Error(`the built userscript holds ${slot} ${count} times, expected once`);
}
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, code);
console.log(`wrote ${outfile} (${code.length} bytes, v${version})`);
