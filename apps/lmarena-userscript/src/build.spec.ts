/**
 * @jest-environment jsdom
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from './lib/version';

/** The built file, as the build target writes it (built into a temp dir here). */
describe('the built userscript', () => {
  let dir: string;
  let code: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lmb-userscript-'));
    const outfile = join(dir, 'lmarena-bridge.user.js');
    const run = spawnSync(process.execPath, [join(__dirname, '..', 'build.mjs'), '--outfile', outfile], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`build failed: ${run.stderr}`);
    code = readFileSync(outfile, 'utf8');
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with the userscript header: name, version from the source, both sites, no grants', () => {
    const header = code.slice(0, code.indexOf('// ==/UserScript==') + 18);
    expect(code.startsWith('// ==UserScript==\n')).toBe(true);
    expect(header).toMatch(/^\/\/ @name\s+LMArena Bridge$/m);
    expect(header).toMatch(new RegExp(`^// @version\\s+${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    expect(header.match(/^\/\/ @match\s+(\S+)$/gm)?.map((l) => l.split(/\s+/).pop())).toEqual([
      'https://arena.ai/*',
      'https://www.arena.ai/*',
      'https://lmarena.ai/*',
      'https://www.lmarena.ai/*',
    ]);
    expect(header).toMatch(/^\/\/ @grant\s+none$/m);
    expect(header).toMatch(/^\/\/ @run-at\s+document-idle$/m);
    expect(header).toMatch(/^\/\/ @noframes$/m);
  });

  it('holds each placeholder literal exactly once', () => {
    expect(code.split('"__LMB_PROXY_URL__"')).toHaveLength(2);
    expect(code.split('"__LMB_BRIDGE_KEY__"')).toHaveLength(2);
  });

  function runScript(source: string) {
    const opened: string[] = [];
    const sockets = {
      opened,
      FakeSocket: class {
        constructor(url: string) {
          opened.push(url);
        }
        send() {
          return undefined;
        }
        close() {
          return undefined;
        }
      },
    };
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    // Evaluated like a userscript manager does: a plain script in the page's global scope.
    new Function('WebSocket', source)(sockets.FakeSocket);
    return { opened, errors: errors.mock.calls.map((c) => String(c[0])) };
  }
  afterEach(() => jest.restoreAllMocks());

  it('without a key (not downloaded from the dashboard) says so and does not connect', () => {
    const { opened, errors } = runScript(code);
    expect(opened).toEqual([]);
    expect(errors.join('\n')).toMatch(/no bridge key, so it does not connect/);
  });

  it('filled in the way the dashboard does it, connects to that URL', () => {
    const filled = code
      .replace('"__LMB_PROXY_URL__"', JSON.stringify('ws://10.1.2.3:5102/ws'))
      .replace('"__LMB_BRIDGE_KEY__"', JSON.stringify('lmb_bk_"odd"\\key'));
    const { opened, errors } = runScript(filled);
    expect(opened).toEqual(['ws://10.1.2.3:5102/ws']);
    expect(errors).toEqual([]);
  });
});
