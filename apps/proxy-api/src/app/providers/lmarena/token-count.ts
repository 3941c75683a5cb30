/**
 * Token counts for the bridge's usage rows: the site reports none, so they are computed with
 * a real BPE tokenizer (o200k_base, the encoding of current OpenAI models; other vendors'
 * tokenizers differ by some percent, which is why the rows are marked estimated).
 *
 * The encoding's tables take ~0.3 s to load: they are loaded once, when the first browser
 * connects to the bridge (bridge-hub.service.ts), not at start-up of a proxy without one.
 */
export type TokenCounter = (text: string) => number;

/** Text that merely looks like a special token (`<|endoftext|>`) is counted as text. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

let loading: Promise<TokenCounter> | undefined;

export function loadTokenCounter(): Promise<TokenCounter> {
  loading ??= import('gpt-tokenizer/cjs/encoding/o200k_base').then(
    ({ countTokens }): TokenCounter =>
      (text) =>
        text === '' ? 0 : countTokens(text, AS_TEXT),
  );
  return loading;
}
