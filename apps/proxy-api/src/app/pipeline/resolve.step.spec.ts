import { NO_LIMITS } from '@lmarena-bridge/contracts';
import type { AppConfig, ModelRoute } from '@lmarena-bridge/config';
import { UsageNote } from '@lmarena-bridge/usage';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { ProxyError } from '../errors/proxy-error';
import { ModelsService } from '../models/models.service';
import { EchoProvider } from '../providers/echo/echo.provider';
import { BridgeHub } from '../bridge/bridge-hub.service';
import { ProvidersService } from '../providers/providers.service';
import { OpenAiPassShape } from '../endpoints/chat.endpoint';
import { EMBEDDINGS_ENDPOINT } from '../endpoints/passthrough.endpoints';
import { ResolveStep } from './resolve.step';

const ROUTES: ModelRoute[] = [
  { name: 'echo', provider: 'echo', type: 'echo', upstream_model: 'echo' },
  { name: 'other', provider: 'echo', type: 'echo', upstream_model: 'echo' },
] as ModelRoute[];
const messages = [{ role: 'user', content: 'hi' }];
const tokenCaller = (allowedModels: string[] | null): ProxyCaller => ({
  kind: 'token',
  token: { id: 1, userId: 1, name: 't', allowedModels, expiresAt: null, limits: { ...NO_LIMITS, allowed_models: allowedModels }, userLimits: NO_LIMITS },
});

describe('ResolveStep', () => {
  let dir: string;
  let step: ResolveStep;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lmb-resolve-'));
    writeFileSync(join(dir, 'models.json'), '{}');
    const config = { models: ROUTES, models_path: join(dir, 'models.json'), providers: { echo: { type: 'echo' } } } as unknown as AppConfig;
    // No lmarena provider in this config: the bridge hub is never asked for anything.
    step = new ResolveStep(new ModelsService(config), new ProvidersService(config, {} as BridgeHub));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the route and provider of the model, and what the client asked for', () => {
    const note = new UsageNote('/v1/chat/completions');
    const target = step.run({ model: 'echo', messages, stream: true, stream_options: { include_usage: true } }, { kind: 'api_key' }, note);
    expect(target).toMatchObject({ route: ROUTES[0], stream: true, body: { model: 'echo', messages } });
    expect(target.exchange.shape).toBeInstanceOf(OpenAiPassShape);
    expect(target.provider).toBeInstanceOf(EchoProvider);
    expect(note).toMatchObject({ model: 'echo', stream: true });
  });

  it('notes the model asked for even when the request is refused', () => {
    const note = new UsageNote('/v1/chat/completions');
    expect(() => step.run({ model: 'nope', messages }, { kind: 'api_key' }, note)).toThrow(expect.objectContaining({ status: 404, code: 'model_not_found' }));
    expect(note.model).toBe('nope');
    const long = new UsageNote('/v1/chat/completions');
    expect(() => step.run({ model: 'x'.repeat(500), messages }, { kind: 'api_key' }, long)).toThrow(ProxyError);
    expect(long.model).toHaveLength(200);
  });

  it("applies a token's model allow-list", () => {
    expect(step.run({ model: 'echo', messages }, tokenCaller(['echo']), new UsageNote('/x')).route.name).toBe('echo');
    expect(() => step.run({ model: 'other', messages }, tokenCaller(['echo']), new UsageNote('/x'))).toThrow(
      expect.objectContaining({ status: 403, code: 'model_not_allowed' }),
    );
    expect(step.run({ model: 'other', messages }, tokenCaller(null), new UsageNote('/x')).route.name).toBe('other');
  });

  it.each<[string, unknown]>([
    ['not an object', [1, 2]],
    ['no model', { messages }],
    ['no messages', { model: 'echo' }],
  ])('refuses a body with %s as 400 invalid_request', (_name, body) => {
    expect(() => step.run(body, { kind: 'open' }, new UsageNote('/x'))).toThrow(expect.objectContaining({ status: 400, code: 'invalid_request' }));
  });

  it('refuses a model whose provider cannot serve the endpoint as 400 unsupported_endpoint', () => {
    const lmarena = new ResolveStep(
      new ModelsService({
        models: [{ name: 'arena', provider: 'lmarena', type: 'lmarena', upstream_model: 'x' }],
        models_path: join(dir, 'models.json'),
      } as unknown as AppConfig),
      // The LMArena provider is built but refused before it could reach the bridge.
      new ProvidersService({ models: [], providers: { lmarena: { type: 'lmarena' } } } as unknown as AppConfig, {} as BridgeHub),
    );
    const note = new UsageNote('/v1/embeddings');
    expect(() => lmarena.run({ model: 'arena', input: 'hi' }, { kind: 'open' }, note, EMBEDDINGS_ENDPOINT)).toThrow(
      expect.objectContaining({ status: 400, code: 'unsupported_endpoint' }),
    );
    expect(note.model).toBe('arena');
    expect(step.run({ model: 'echo', input: 'hi' }, { kind: 'open' }, new UsageNote('/v1/embeddings'), EMBEDDINGS_ENDPOINT).route.name).toBe('echo');
  });
});
