import { loadTokenCounter, type TokenCounter } from '../providers/lmarena/token-count';
import { completionBudget, estimatePromptTokens, TOKENIZE_LIMIT_CHARS } from './request-estimate';

describe('request estimates', () => {
  let count: TokenCounter;
  beforeAll(async () => {
    count = await loadTokenCounter();
  });

  it('counts the prompt text of chat messages with the tokenizer', () => {
    const body = { model: 'gpt-x', temperature: 0.2, messages: [{ role: 'user', content: 'Hello there, how are you today?' }] };
    expect(estimatePromptTokens(body, count)).toBe(count('user\nHello there, how are you today?'));
  });

  it('reads content parts, tools, input, prompt and system, and skips image payloads', () => {
    const image = `data:image/png;base64,${'A'.repeat(100_000)}`;
    const body = {
      model: 'm',
      system: 'Be brief.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe it' },
            { type: 'image_url', image_url: { url: image } },
          ],
        },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Finds a word' } }],
    };
    const tokens = estimatePromptTokens(body, count);
    expect(tokens).toBe(count(['Be brief.', 'user', 'text', 'Describe it', 'image_url', 'function', 'lookup', 'Finds a word'].join('\n')));
    expect(tokens).toBeLessThan(50);
    expect(estimatePromptTokens({ input: ['one', 'two'] }, count)).toBe(count('one\ntwo'));
    expect(estimatePromptTokens({ prompt: 'Once upon a time' }, count)).toBe(count('Once upon a time'));
  });

  it('estimates a very long prompt from its length instead of tokenizing it', () => {
    const long = 'x'.repeat(TOKENIZE_LIMIT_CHARS * 2);
    expect(estimatePromptTokens({ messages: [{ role: 'user', content: long }] }, count)).toBe(Math.ceil((long.length + 'user\n'.length) / 4));
  });

  it('takes the completion cap under any of the APIs names, else the default', () => {
    expect(completionBudget({ max_tokens: 50 }, 1024)).toBe(50);
    expect(completionBudget({ max_completion_tokens: 70, max_tokens: 50 }, 1024)).toBe(70);
    expect(completionBudget({ max_output_tokens: 12.5 }, 1024)).toBe(13);
    expect(completionBudget({ max_tokens: -1 }, 1024)).toBe(1024);
    expect(completionBudget({}, 0)).toBe(0);
  });
});
