// The browser suites never skip silently: without Chromium they install it (as root) or
// fail with the command to run. Checked here without touching the real system.

const spawnSync = jest.fn();
jest.mock('node:child_process', () => ({ ...jest.requireActual('node:child_process'), spawnSync: (...args: unknown[]) => spawnSync(...args) }));

describe('browser: finding Chromium', () => {
  const missing = '/nonexistent/chromium-for-test';
  let ensureChromium: () => string;
  let install: string;
  const getuid = process.getuid;

  beforeEach(() => {
    spawnSync.mockReset();
    process.env['LMB_CHROMIUM'] = missing;
    jest.isolateModules(() => {
      const mod = require('../support/browser') as typeof import('../support/browser');
      ensureChromium = mod.ensureChromium;
      install = mod.CHROMIUM_INSTALL;
    });
  });
  afterEach(() => {
    delete process.env['LMB_CHROMIUM'];
    process.getuid = getuid;
  });

  it('fails with the exact install command when not root', () => {
    process.getuid = () => 1000;
    expect(() => ensureChromium()).toThrow(`Chromium is missing (${missing}). Install it, then run the browser tests again:\n  sudo sh -c '${install}'`);
    expect(spawnSync).not.toHaveBeenCalled();
    expect(install).toBe('apt-get update && apt-get install -y --no-install-recommends chromium');
  });

  it('installs it with apt-get when root, and fails loudly if that did not work', () => {
    process.getuid = () => 0;
    spawnSync.mockReturnValue({ status: 100, stdout: '', stderr: 'E: Unable to locate package chromium' });
    expect(() => ensureChromium()).toThrow(/Installing Chromium failed \(exit 100\)[\s\S]*apt-get install[\s\S]*Unable to locate package/);
    expect(spawnSync).toHaveBeenCalledWith('sh', ['-c', install], expect.objectContaining({ encoding: 'utf8' }));
  });
});
