import { countTokens, encode } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { loadTokenCounter } from './token-count';

describe('loadTokenCounter', () => {
  it('counts with the o200k_base encoding', async () => {
    const count = await loadTokenCounter();
    for (const text of ['Hello, world!', 'Grüße aus Köln 🌍', 'function f(x) { return x * 2; }\n'.repeat(20)]) {
      expect(count(text)).toBe(countTokens(text));
      expect(count(text)).toBe(encode(text).length);
    }
  });

  it('is zero for no text', async () => {
    expect((await loadTokenCounter())('')).toBe(0);
  });

  it('counts text that looks like a special token instead of throwing', async () => {
    const count = await loadTokenCounter();
    const text = 'before <|endoftext|> after';
    expect(() => countTokens(text)).toThrow();
    expect(count(text)).toBe(encode(text, { disallowedSpecial: new Set() }).length);
    expect(count(text)).toBeGreaterThan(3);
  });

  it('loads the encoding once', async () => {
    expect(loadTokenCounter()).toBe(loadTokenCounter());
  });
});
