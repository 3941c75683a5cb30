import { aBridgeModel } from '../../testing/builders';
import { filterModels, isImageModel, modelName, modelsJsonLine } from './bridge-models';

describe('bridge models', () => {
  const image = { inputCapabilities: { text: true }, outputCapabilities: { image: { aspectRatios: ['1:1'] } } };

  it('writes the models.json line of a text model as "<public name>": "<id>"', () => {
    const m = aBridgeModel({ id: '0199-a', public_name: 'claude-sonnet-4', capabilities: { outputCapabilities: { text: true } } });
    expect(modelsJsonLine(m)).toBe('"claude-sonnet-4": "0199-a"');
  });

  it('adds :image for a model with image output', () => {
    expect(modelsJsonLine(aBridgeModel({ id: '0199-b', public_name: 'gpt-image-1', capabilities: image }))).toBe('"gpt-image-1": "0199-b:image"');
  });

  it('names a model without public name by its id, and escapes quotes', () => {
    expect(modelsJsonLine(aBridgeModel({ id: 'x-1', public_name: null, capabilities: null }))).toBe('"x-1": "x-1"');
    expect(modelsJsonLine(aBridgeModel({ id: 'x-2', public_name: 'say "hi"', capabilities: null }))).toBe('"say \\"hi\\"": "x-2"');
    expect(modelName(aBridgeModel({ id: 'x-3', public_name: null }))).toBe('x-3');
  });

  it.each([
    [null, false],
    ['image', false],
    [{}, false],
    [{ outputCapabilities: null }, false],
    [{ outputCapabilities: { image: false } }, false],
    [{ outputCapabilities: { text: true, search: true } }, false],
    [{ outputCapabilities: { image: {} } }, true],
    [{ outputCapabilities: { image: true } }, true],
  ])('isImageModel(%j) is %s', (capabilities, expected) => {
    expect(isImageModel({ capabilities })).toBe(expected);
  });

  it('filters by name, organization or id, ignoring case', () => {
    const models = [
      aBridgeModel({ id: 'id-1', public_name: 'Claude', organization: 'anthropic' }),
      aBridgeModel({ id: 'id-2', public_name: 'GPT', organization: 'openai' }),
      aBridgeModel({ id: 'zz-3', public_name: null, organization: null }),
    ];
    expect(filterModels(models, '  ').map((m) => m.id)).toEqual(['id-1', 'id-2', 'zz-3']);
    expect(filterModels(models, 'claude').map((m) => m.id)).toEqual(['id-1']);
    expect(filterModels(models, 'OPENAI').map((m) => m.id)).toEqual(['id-2']);
    expect(filterModels(models, 'zz').map((m) => m.id)).toEqual(['zz-3']);
  });
});
