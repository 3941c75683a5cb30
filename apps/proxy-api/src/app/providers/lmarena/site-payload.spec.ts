import type { ModelRoute } from '@lmarena-bridge/config';
import { ProxyError } from '../../errors/proxy-error';
import type { ChatBody } from '../chat-provider';
import type { SiteModel } from './bridge-transport';
import { buildSiteRequest, chooseModality, CREATE_EVALUATION_PATH } from './site-payload';
import { uuidv7Time } from './uuidv7';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MODEL_ID = '0199c1e0-3720-742d-91c8-787788b0a19b';

function aRoute(extra: Partial<ModelRoute> & { modality?: string } = {}): ModelRoute {
  return { name: 'claude-test', provider: 'lmarena', type: 'lmarena', upstream_model: MODEL_ID, ...extra } as ModelRoute;
}
const aBody = (extra: Partial<ChatBody> = {}): ChatBody => ({ model: 'claude-test', messages: [{ role: 'user', content: 'Hello there' }], ...extra });
const aModel = (outputCapabilities: Record<string, unknown>): SiteModel => ({
  id: MODEL_ID,
  publicName: 'claude-test',
  capabilities: { inputCapabilities: { text: true }, outputCapabilities },
});

describe('buildSiteRequest', () => {
  it("builds a direct-mode create-evaluation request for the route's model", () => {
    const { payload, prompt, modality } = buildSiteRequest(aRoute(), aBody(), undefined);
    expect(payload.method).toBe('POST');
    expect(payload.path).toBe(CREATE_EVALUATION_PATH);
    expect(prompt).toBe('Hello there');
    expect(modality).toBe('chat');
    expect(Object.keys(payload.body).sort()).toEqual([
      'id',
      'modality',
      'mode',
      'modelAId',
      'modelAMessageId',
      'modelBMessageId',
      'userMessage',
      'userMessageId',
    ]);
    expect(payload.body).toMatchObject({
      mode: 'direct',
      modelAId: MODEL_ID,
      userMessage: { content: 'Hello there', experimental_attachments: [], metadata: {} },
      modality: 'chat',
    });
    // The userscript adds the reCAPTCHA token; the server never makes one up.
    expect(payload.body).not.toHaveProperty('recaptchaV3Token');
  });

  it('uses fresh, distinct UUIDv7 ids in every request', () => {
    const before = Date.now();
    const bodies = [buildSiteRequest(aRoute(), aBody(), undefined), buildSiteRequest(aRoute(), aBody(), undefined)].map((r) => r.payload.body);
    const after = Date.now();
    const ids = bodies.flatMap((b) => [b['id'], b['userMessageId'], b['modelAMessageId'], b['modelBMessageId']] as string[]);
    for (const id of ids) {
      expect(id).toMatch(V7);
      expect(uuidv7Time(id)).toBeGreaterThanOrEqual(before);
      expect(uuidv7Time(id)).toBeLessThanOrEqual(after);
    }
    expect(new Set(ids).size).toBe(8);
  });

  it('sends the flattened transcript as the user message', () => {
    const body = aBody({
      messages: [
        { role: 'developer', content: 'Sys' },
        { role: 'user', content: 'A' },
        { role: 'assistant', content: 'B' },
        { role: 'user', content: 'C' },
      ],
    });
    const { payload, prompt } = buildSiteRequest(aRoute(), body, undefined);
    expect(prompt).toBe('Sys\n\nUser: A\n\nAssistant: B\n\nUser: C');
    expect((payload.body['userMessage'] as { content: string }).content).toBe(prompt);
  });

  it('refuses images and empty prompts before anything is sent', () => {
    const image = aBody({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] });
    expect(() => buildSiteRequest(aRoute(), image, undefined)).toThrow(ProxyError);
    expect(() => buildSiteRequest(aRoute(), aBody({ messages: [{ role: 'user', content: '' }] }), undefined)).toThrow('The messages contain no text to send.');
  });

  it('ignores tool definitions but refuses a forced tool call', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    expect(buildSiteRequest(aRoute(), aBody({ tools, tool_choice: 'auto' }), undefined).payload.body).not.toHaveProperty('tools');
    for (const tool_choice of ['required', { type: 'function', function: { name: 'f' } }]) {
      let error: unknown;
      try {
        buildSiteRequest(aRoute(), aBody({ tools, tool_choice }), undefined);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ProxyError);
      expect((error as ProxyError).status).toBe(400);
      expect((error as ProxyError).param).toBe('tool_choice');
    }
  });
});

describe('chooseModality', () => {
  it('is image for a "<uuid>:image" route', () => {
    expect(chooseModality(aRoute({ modality: 'image' }), undefined)).toBe('image');
    expect(chooseModality(aRoute({ modality: 'image' }), aModel({ text: true }))).toBe('image');
  });

  it("follows the reported model's output capabilities: image, else search, else chat", () => {
    expect(chooseModality(aRoute(), aModel({ image: { aspectRatios: ['1:1'] } }))).toBe('image');
    expect(chooseModality(aRoute(), aModel({ image: true, search: true }))).toBe('image');
    expect(chooseModality(aRoute(), aModel({ text: true, search: true }))).toBe('search');
    expect(chooseModality(aRoute(), aModel({ text: true }))).toBe('chat');
    expect(chooseModality(aRoute(), aModel({ text: true, image: false }))).toBe('chat');
    expect(chooseModality(aRoute(), { id: MODEL_ID })).toBe('chat');
    expect(chooseModality(aRoute(), undefined)).toBe('chat');
  });

  it('is what the payload carries', () => {
    expect(buildSiteRequest(aRoute(), aBody(), aModel({ search: true })).payload.body['modality']).toBe('search');
    expect(buildSiteRequest(aRoute(), aBody(), aModel({ image: {} })).modality).toBe('image');
  });
});
