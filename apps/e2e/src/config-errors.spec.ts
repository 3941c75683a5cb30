import { runToExit, writeTestConfig } from './support/servers';

describe('servers refuse a bad configuration', () => {
  it.each(['proxy-api', 'dashboard-api'] as const)('%s exits 1 naming the file and the key', async (name) => {
    const dir = writeTestConfig({ proxy: { port: 'eighty' } });
    try {
      const { code, output } = await runToExit(name, dir.configPath);
      expect(code).toBe(1);
      expect(output).toContain(`Configuration error: ${dir.configPath}: "proxy.port": expected a whole number`);
    } finally {
      dir.cleanup();
    }
  });

  it('names an unknown provider in models.json', async () => {
    const dir = writeTestConfig({}, { gpt: { provider: 'nowhere' } });
    try {
      const { code, output } = await runToExit('proxy-api', dir.configPath);
      expect(code).toBe(1);
      expect(output).toMatch(/models\.json: "gpt\.provider": unknown provider "nowhere"/);
    } finally {
      dir.cleanup();
    }
  });
});
