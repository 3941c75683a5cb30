import { AppConfig, loadConfig } from '@lmarena-bridge/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelsService } from './models.service';

describe('ModelsService', () => {
  let dir: string;
  let config: AppConfig;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lmb-models-'));
    writeFileSync(join(dir, 'config.jsonc'), '{"providers": {"up": {"type": "openai", "base_url": "http://127.0.0.1:1/v1"}}}');
    writeFileSync(join(dir, 'models.json'), '{"echo": {"provider": "echo"}, "gpt-x": {"provider": "up", "model": "gpt-4o"}, "arena": "claude-3"}');
    config = loadConfig({ cwd: dir, env: {} });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every model in the OpenAI shape, in file order', () => {
    const service = new ModelsService(config);
    const list = service.listModels();
    expect(list.map((m) => [m.id, m.owned_by])).toEqual([
      ['echo', 'echo'],
      ['gpt-x', 'up'],
      ['arena', 'lmarena'],
    ]);
    expect(list.every((m) => m.object === 'model' && Number.isInteger(m.created) && m.created > 1_600_000_000)).toBe(true);
  });

  it('lists only the allowed models for a limited token', () => {
    expect(new ModelsService(config).listModels(['arena', 'nope']).map((m) => m.id)).toEqual(['arena']);
  });

  it('finds a route by public name', () => {
    const service = new ModelsService(config);
    expect(service.find('gpt-x')).toEqual({ name: 'gpt-x', provider: 'up', type: 'openai', upstream_model: 'gpt-4o', price: null });
    expect(service.find('missing')).toBeUndefined();
  });
});
