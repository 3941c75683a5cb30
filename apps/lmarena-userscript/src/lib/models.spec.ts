/**
 * @jest-environment jsdom
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findInitialModels, MODEL_CATALOG_PATH, normalizeModels, readSiteModels } from './models';

const NEXT_PAGE = readFileSync(join(__dirname, 'fixtures/next-page.html'), 'utf8');

function scriptsOf(html: string): string[] {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return Array.from(doc.getElementsByTagName('script'), (s) => s.textContent ?? '');
}

/** A page as Next.js writes it: the flight row inside a JS string literal, `</` escaped. */
function nextFlightPage(models: unknown): string {
  const row = `5:["$","$L3",null,${JSON.stringify({ initialModels: models, other: ['initialModels'] })}]\n`;
  return `<script>self.__next_f.push([1,${JSON.stringify(row).replace(/</g, '\\u003c')}])</script>`;
}

describe('findInitialModels', () => {
  it('reads the escaped list from a Next.js flight script, decoding quotes, brackets and \\u escapes', () => {
    const models = findInitialModels(scriptsOf(NEXT_PAGE));
    expect(models).toEqual([
      {
        id: '0199c1e5-6a2b-7c3d-8e4f-5a6b7c8d9e01',
        publicName: 'gemini-2.5-pro',
        organization: 'google',
        provider: 'googleVertex',
        capabilities: { inputCapabilities: { text: true, image: true }, outputCapabilities: { text: true } },
      },
      {
        id: '0199c1e5-6a2b-7c3d-8e4f-5a6b7c8d9e02',
        publicName: 'gpt-image-1 [beta] "quoted"',
        organization: 'openai',
        provider: 'openai',
        capabilities: { inputCapabilities: { text: true }, outputCapabilities: { image: { aspectRatios: ['1:1'] } } },
      },
      {
        id: '0199c1e5-6a2b-7c3d-8e4f-5a6b7c8d9e03',
        publicName: 'café-search',
        organization: '<acme>',
        provider: 'acme',
        capabilities: { outputCapabilities: { search: true } },
      },
    ]);
  });

  it('round-trips any names through the flight encoding', () => {
    const tricky = [
      { id: 'a', publicName: 'x]}{["\\', organization: '</script>', provider: 'p', capabilities: { outputCapabilities: { text: true } } },
      { id: 'b', publicName: 'emoji 🤖 \u2028 line', capabilities: {} },
    ];
    expect(findInitialModels(scriptsOf(nextFlightPage(tricky)))).toEqual(tricky);
  });

  it('reads a plain JSON list (a data script)', () => {
    const html = `<script id="__NEXT_DATA__" type="application/json">{"props":{"initialModels":[{"id":"m1","publicName":"one"}]}}</script>`;
    expect(findInitialModels(scriptsOf(html))).toEqual([{ id: 'm1', publicName: 'one' }]);
  });

  it('skips mentions that are not the array and entries without id or name', () => {
    const html = `<script>var s = "initialModels";</script>${nextFlightPage([{ id: 'm1' }, { publicName: 'no id' }, { id: 'm2', publicName: 'two', organization: 3 }])}`;
    expect(findInitialModels(scriptsOf(html))).toEqual([{ id: 'm2', publicName: 'two' }]);
  });

  it('answers null when there is no list, an empty one, or one cut off', () => {
    expect(findInitialModels(scriptsOf('<script>console.log(1)</script>'))).toBeNull();
    expect(findInitialModels(scriptsOf(nextFlightPage([])))).toBeNull();
    const cut = NEXT_PAGE.slice(0, NEXT_PAGE.indexOf('gpt-image-1'));
    expect(findInitialModels(scriptsOf(cut))).toBeNull();
  });
});

describe('normalizeModels', () => {
  it('accepts the catalog shape {models: [...]}', () => {
    expect(normalizeModels({ models: [{ id: 'm', publicName: 'n', extra: 1 }] })).toEqual([{ id: 'm', publicName: 'n' }]);
    expect(normalizeModels({ nope: [] })).toBeNull();
    expect(normalizeModels('x')).toBeNull();
  });
});

describe('readSiteModels', () => {
  afterEach(() => (document.documentElement.innerHTML = ''));

  it('uses the page list without asking the site', async () => {
    document.documentElement.innerHTML = NEXT_PAGE;
    const fetchFn = jest.fn<Promise<Response>, Parameters<typeof fetch>>();
    const models = await readSiteModels(document, fetchFn);
    expect(models?.map((m) => m.publicName)).toEqual(['gemini-2.5-pro', 'gpt-image-1 [beta] "quoted"', 'café-search']);
    expect(fetchFn).not.toHaveBeenCalled();
  });

  it('falls back to the model catalog when the page has no list, and to null when that is not JSON', async () => {
    document.documentElement.innerHTML = '<body><script>1</script></body>';
    const json = {
      ok: true,
      headers: { get: () => 'application/json; charset=utf-8' },
      json: async () => [{ id: 'c1', publicName: 'cat' }],
    } as unknown as Response;
    const fetchFn = jest.fn<Promise<Response>, Parameters<typeof fetch>>().mockResolvedValue(json);
    expect(await readSiteModels(document, fetchFn)).toEqual([{ id: 'c1', publicName: 'cat' }]);
    expect(fetchFn.mock.calls[0][0]).toBe(MODEL_CATALOG_PATH);

    const html = { ok: true, headers: { get: () => 'text/html' }, json: async () => ({}) } as unknown as Response;
    expect(await readSiteModels(document, jest.fn<Promise<Response>, Parameters<typeof fetch>>().mockResolvedValue(html))).toBeNull();
    expect(await readSiteModels(document, jest.fn<Promise<Response>, Parameters<typeof fetch>>().mockRejectedValue(new TypeError('offline')))).toBeNull();
  });
});
