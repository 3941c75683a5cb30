import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { BridgeTestDatabase, openBridgeTestDatabase } from '../../testing/bridge-test-database';
import { BridgeModelsService, MAX_REPORTED_MODELS, ReportedModel } from './bridge-models.service';

const uuid = (n: number) => `0199${n.toString(16).padStart(4, '0')}-0000-7000-8000-000000000000`;

describe.each(testDatabaseKinds())('BridgeModelsService on $kind', ({ create }) => {
  let db: BridgeTestDatabase;
  let models: BridgeModelsService;

  beforeEach(async () => {
    db = await openBridgeTestDatabase(create);
    models = new BridgeModelsService(db.dataSource);
  });
  afterEach(() => db?.close());

  it('keeps the reported models and updates them by id on the next report', async () => {
    const caps = { inputCapabilities: { text: true }, outputCapabilities: { image: { aspectRatios: ['1:1'] } } };
    await models.saveReported(
      [
        { id: uuid(1), publicName: 'gpt-image-1', organization: 'openai', provider: 'openai', capabilities: caps },
        { id: uuid(2), publicName: 'claude-x' },
      ],
      1_000,
    );
    await models.saveReported([{ id: uuid(2), publicName: 'claude-y', organization: 'anthropic' }], 2_000);
    expect(await models.list()).toEqual([
      { id: uuid(2), public_name: 'claude-y', organization: 'anthropic', capabilities: null, reported_at: new Date(2_000).toISOString() },
      { id: uuid(1), public_name: 'gpt-image-1', organization: 'openai', capabilities: caps, reported_at: new Date(1_000).toISOString() },
    ]);
    expect(await models.count()).toBe(2);
  });

  it('takes a duplicated id once (the last one) and skips entries without a usable id', async () => {
    await models.saveReported(
      [
        { id: uuid(1), publicName: 'first' },
        { id: uuid(1), publicName: 'second' },
        { id: '' },
        { id: 'x'.repeat(101) },
        { publicName: 'no id' } as unknown as ReportedModel,
        null as unknown as ReportedModel,
        { id: 42 } as unknown as ReportedModel,
      ],
      1,
    );
    expect((await models.list()).map((m) => [m.id, m.public_name])).toEqual([[uuid(1), 'second']]);
  });

  it('cuts long strings, drops an oversized capabilities object and ignores entries past the bound', async () => {
    const many: ReportedModel[] = Array.from({ length: MAX_REPORTED_MODELS + 5 }, (_, i) => ({ id: uuid(i) }));
    many[0] = { id: uuid(0), publicName: 'n'.repeat(500), organization: 'o'.repeat(500), capabilities: { blob: 'c'.repeat(10_000) } };
    await models.saveReported(many, 5);
    expect(await models.count()).toBe(MAX_REPORTED_MODELS);
    const first = (await models.list()).find((m) => m.id === uuid(0));
    expect(first).toMatchObject({ public_name: 'n'.repeat(200), organization: 'o'.repeat(200), capabilities: null });
  });

  it('does nothing for an empty or non-array report', async () => {
    await models.saveReported([], 1);
    await models.saveReported('nope' as unknown as ReportedModel[], 1);
    expect(await models.count()).toBe(0);
  });
});
