import { UsageNote } from '@lmarena-bridge/usage';
import type { IncomingMessage } from 'node:http';
import { PolicyStep } from './policy.step';

describe('PolicyStep', () => {
  it('lets every authenticated caller through and notes nothing (no policy configured yet)', async () => {
    const note = new UsageNote('/v1/chat/completions');
    const before = { ...note };
    const req = { headers: {} } as IncomingMessage;
    for (const caller of [{ kind: 'open' }, { kind: 'api_key' }] as const) {
      await expect(Promise.resolve(new PolicyStep().check({ req, caller, note }))).resolves.toBeUndefined();
    }
    expect({ ...note }).toEqual(before);
  });
});
