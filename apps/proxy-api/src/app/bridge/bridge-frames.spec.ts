import { parseBrowserFrame, parseHello } from './bridge-frames';

describe('bridge frames', () => {
  it('reads a hello and bounds its strings', () => {
    expect(
      parseHello(
        JSON.stringify({
          type: 'hello',
          secret: 's',
          version: '1.0',
          origin: 'https://arena.ai',
        }),
      ),
    ).toEqual({ secret: 's', version: '1.0', origin: 'https://arena.ai' });
    expect(
      parseHello(
        JSON.stringify({
          type: 'hello',
          secret: 's',
          version: 'v'.repeat(100),
        }),
      )?.version,
    ).toHaveLength(64);
  });

  it.each(['', 'null', '[]', '{"type":"hello"}', '{"type":"hello","secret":5}', '{"type":"pong","secret":"s"}', '{"secret":"s"}'])(
    'refuses %j as a hello',
    (text) => {
      expect(parseHello(text)).toBeNull();
    },
  );

  it('reads data, [DONE] and failures', () => {
    expect(parseBrowserFrame('{"request_id":"r","data":"a0:\\"x\\"\\n"}')).toEqual({ kind: 'data', requestId: 'r', text: 'a0:"x"\n' });
    expect(parseBrowserFrame('{"request_id":"r","data":"[DONE]"}')).toEqual({
      kind: 'done',
      requestId: 'r',
    });
    expect(parseBrowserFrame('{"request_id":"r","data":{"error":"nope","status":429}}')).toEqual({
      kind: 'failed',
      requestId: 'r',
      status: 429,
      error: 'nope',
    });
    // A fetch that failed in the page reports status 0; a missing or odd status counts as 0.
    expect(parseBrowserFrame('{"request_id":"r","data":{"error":"Failed to fetch"}}')).toEqual({
      kind: 'failed',
      requestId: 'r',
      status: 0,
      error: 'Failed to fetch',
    });
    expect(parseBrowserFrame('{"request_id":"r","data":{"error":{"x":1},"status":"500"}}')).toEqual({
      kind: 'failed',
      requestId: 'r',
      status: 0,
      error: '{"x":1}',
    });
  });

  it('reads ping, pong and model lists, keeping only usable models', () => {
    expect(parseBrowserFrame('{"type":"ping"}')).toEqual({ kind: 'ping' });
    expect(parseBrowserFrame('{"type":"pong"}')).toEqual({ kind: 'pong' });
    const frame = parseBrowserFrame(
      JSON.stringify({
        type: 'models',
        models: [
          {
            id: 'a',
            publicName: 'A',
            organization: 'o',
            provider: 'p',
            capabilities: { outputCapabilities: { text: true }, junk: 1 },
            extra: 'dropped',
          },
          { id: 5 },
          'x',
          {
            id: 'b',
            capabilities: { inputCapabilities: { blob: 'x'.repeat(3000) } },
          },
        ],
      }),
    );
    expect(frame).toEqual({
      kind: 'models',
      models: [
        {
          id: 'a',
          publicName: 'A',
          organization: 'o',
          provider: 'p',
          capabilities: { outputCapabilities: { text: true } },
        },
        { id: 'b', capabilities: {} },
      ],
    });
  });

  it.each(['nope', '7', '{"type":"models","models":"x"}', '{"request_id":"r","data":7}', '{"type":"welcome"}'])('ignores %j', (text) => {
    expect(parseBrowserFrame(text)).toBeNull();
  });
});
