import { parseServerFrame } from './protocol';

describe('parseServerFrame', () => {
  it('reads every frame the proxy sends', () => {
    expect(parseServerFrame('{"type":"welcome","browser_id":"b1"}')).toEqual({ kind: 'welcome', browserId: 'b1' });
    expect(parseServerFrame('{"type":"ping"}')).toEqual({ kind: 'ping' });
    expect(parseServerFrame('{"type":"cancel","request_id":"r1"}')).toEqual({ kind: 'cancel', requestId: 'r1' });
    expect(parseServerFrame('{"command":"refresh"}')).toEqual({ kind: 'refresh' });
    expect(parseServerFrame('{"request_id":"r2","payload":{"method":"POST","path":"/nextjs-api/stream/create-evaluation","body":{"id":"e"}}}')).toEqual({
      kind: 'request',
      requestId: 'r2',
      payload: { method: 'POST', path: '/nextjs-api/stream/create-evaluation', body: { id: 'e' } },
    });
  });

  it('answers null for anything else', () => {
    for (const text of [
      '',
      'not json',
      '[]',
      'null',
      '"x"',
      '{"type":"cancel"}',
      '{"request_id":"r","payload":{"method":"POST","path":"/x"}}',
      '{"request_id":"r","payload":{"method":"POST","path":"/x","body":[]}}',
      '{"type":"future-thing"}',
    ]) {
      expect(parseServerFrame(text)).toBeNull();
    }
  });
});
