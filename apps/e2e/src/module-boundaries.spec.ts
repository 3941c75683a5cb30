import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './support/servers';

interface LintResult {
  messages: Array<{ ruleId: string | null; message: string }>;
}

/**
 * Lints a would-be source file of a project through the ESLint CLI (stdin, so nothing is
 * written to disk; a child process because the flat config is an ES module Jest cannot load).
 */
async function lint(filePath: string, code: string): Promise<string[]> {
  const run = spawnSync(
    process.execPath,
    [join(WORKSPACE_ROOT, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', filePath, '--format', 'json'],
    {
      cwd: WORKSPACE_ROOT,
      input: code,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    },
  );
  const [result] = JSON.parse(run.stdout) as LintResult[];
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it.each(['@lmarena-bridge/config', '@lmarena-bridge/auth', '@lmarena-bridge/database', '@lmarena-bridge/usage', '@lmarena-bridge/server'])(
    'refuse %s in dashboard-web',
    async (lib) => {
      const messages = await lint('apps/dashboard-web/src/app/probe.ts', `import * as lib from '${lib}';\nexport const x = lib;\n`);
      expect(messages.join('\n')).toMatch(/tagged with "scope:web" can only depend on libs tagged with "scope:web", "scope:shared"/);
    },
  );

  it('allow the framework-free contracts in dashboard-web', async () => {
    expect(await lint('apps/dashboard-web/src/app/probe.ts', `import type { Token } from '@lmarena-bridge/contracts';\nexport type T = Token;\n`)).toEqual([]);
  });

  it('refuse a data library depending on a feature library', async () => {
    const messages = await lint('libs/server/src/lib/probe.ts', `import { authEntities } from '@lmarena-bridge/auth';\nexport const x = authEntities;\n`);
    expect(messages.join('\n')).toMatch(/tagged with "type:data" can only depend on libs tagged with "type:data", "type:contracts"/);
  });

  it('refuse the contracts library depending on server code', async () => {
    const messages = await lint('libs/contracts/src/lib/probe.ts', `import { loadConfig } from '@lmarena-bridge/config';\nexport const x = loadConfig;\n`);
    expect(messages.length).toBeGreaterThan(0);
  });
});
