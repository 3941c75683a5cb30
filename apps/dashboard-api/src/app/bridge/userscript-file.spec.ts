import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { fillUserscript, readUserscriptTemplate, UserscriptUnavailable } from './userscript-file';

describe('the userscript template', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'lmb-userscript-file-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('fills both placeholders as JS string literals, whatever the values hold', () => {
    const template = 'this.out = ["__LMB_PROXY_URL__", "__LMB_BRIDGE_KEY__"];';
    // `$&` would be a replacement pattern for String.replace; quotes and backslashes need escaping.
    const url = 'wss://proxy.example/$&/"ws"';
    const key = "lmb-bridge-\\$'`";
    const sandbox: { out?: string[] } = {};
    runInNewContext(fillUserscript(template, url, key), sandbox);
    expect(sandbox.out).toEqual([url, key]);
  });

  it('reads a build that holds each placeholder once', async () => {
    const text = '// header\nconst a = "__LMB_PROXY_URL__", b = "__LMB_BRIDGE_KEY__";\n';
    await expect(readUserscriptTemplate(write('ok.user.js', text))).resolves.toBe(text);
  });

  it.each([
    ['a missing placeholder', 'const a = "__LMB_PROXY_URL__";', '"__LMB_BRIDGE_KEY__" 0 times'],
    ['a doubled placeholder', 'const a = "__LMB_PROXY_URL__", b = "__LMB_PROXY_URL__", c = "__LMB_BRIDGE_KEY__";', '"__LMB_PROXY_URL__" 2 times'],
    ['an unquoted placeholder', 'const a = __LMB_PROXY_URL__, b = "__LMB_BRIDGE_KEY__";', '"__LMB_PROXY_URL__" 0 times'],
  ])('refuses a build with %s', async (_label, text, message) => {
    const path = write('bad.user.js', text);
    await expect(readUserscriptTemplate(path)).rejects.toThrow(UserscriptUnavailable);
    await expect(readUserscriptTemplate(path)).rejects.toThrow(message);
  });

  it('says how to build it when the file is missing', async () => {
    await expect(readUserscriptTemplate(join(dir, 'nope.user.js'))).rejects.toThrow(/not built .*nope\.user\.js is missing.*nx build lmarena-userscript/);
  });
});
