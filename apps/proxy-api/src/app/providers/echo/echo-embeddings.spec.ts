import { base64Vector, ECHO_DIMENSIONS, echoEmbeddings, echoVector } from './echo-embeddings';

describe('echo embeddings', () => {
  it('gives each text a deterministic unit vector of fixed length, different for different texts', () => {
    const a = echoVector('hello world');
    expect(a).toHaveLength(ECHO_DIMENSIONS);
    expect(echoVector('hello world')).toEqual(a);
    expect(Math.sqrt(a.reduce((s, v) => s + v * v, 0))).toBeCloseTo(1, 10);
    expect(echoVector('hello there')).not.toEqual(a);
  });

  it("answers OpenAI's list shape with prompt tokens, floats or base64 float32", () => {
    const floats = echoEmbeddings({ input: ['one two', 'three'] }, 'echo') as { data: Array<{ index: number; embedding: number[] }>; usage: object };
    expect(floats).toMatchObject({ object: 'list', model: 'echo', usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    const b64 = echoEmbeddings({ input: 'one two', encoding_format: 'base64' }, 'echo') as { data: Array<{ embedding: string }> };
    const bytes = Buffer.from(b64.data[0].embedding, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(b64.data[0].embedding).toBe(base64Vector(floats.data[0].embedding));
    decoded.forEach((v, i) => expect(v).toBeCloseTo(floats.data[0].embedding[i], 6));
  });

  it('refuses input that is not text or token ids', () => {
    expect(() => echoEmbeddings({ input: [{}] }, 'echo')).toThrow(expect.objectContaining({ status: 400, param: 'input' }));
  });
});
