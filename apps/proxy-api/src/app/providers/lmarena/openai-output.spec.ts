import { imageMarkdown, OpenAiAnswer, openAiFinishReason, openAiUsage, sourcesMarkdown } from './openai-output';

describe('openAiFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content-filter', 'content_filter'],
    ['content_filter', 'content_filter'],
    ['tool-calls', 'tool_calls'],
    ['error', 'stop'],
    ['other', 'stop'],
    ['something-new', 'stop'],
    [null, 'stop'],
    [undefined, 'stop'],
  ])('%s → %s', (site, expected) => {
    expect(openAiFinishReason(site)).toBe(expected);
  });
});

describe('Markdown of images and sources', () => {
  it('writes images as Markdown images', () => {
    expect(imageMarkdown('https://img.example/a.png')).toBe('![Image](https://img.example/a.png)');
    expect(imageMarkdown('https://img.example/a (1).png')).toBe('![Image](<https://img.example/a%20(1).png>)');
  });

  it('lists sources once each, numbered, titles escaped', () => {
    expect(sourcesMarkdown([])).toBe('');
    expect(
      sourcesMarkdown([{ url: 'https://a.example/', title: 'A [draft]' }, { url: 'https://b.example/x' }, { url: 'https://a.example/', title: 'again' }]),
    ).toBe('\n\n**Sources:**\n1. [A \\[draft\\]](https://a.example/)\n2. [https://b.example/x](https://b.example/x)');
  });
});

describe('OpenAiAnswer', () => {
  it('shapes chunks, the usage chunk and the completion with one id and the public model name', () => {
    const answer = new OpenAiAnswer('public-name');
    expect(answer.id).toMatch(/^chatcmpl-/);
    const chunk = JSON.parse(answer.chunk({ content: 'hi' }));
    expect(chunk).toEqual({
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: 'public-name',
      choices: [{ index: 0, delta: { content: 'hi' }, logprobs: null, finish_reason: null }],
    });
    expect(JSON.parse(answer.chunk({}, 'length')).choices[0].finish_reason).toBe('length');
    expect(JSON.parse(answer.usageChunk(openAiUsage(3, 4)))).toMatchObject({
      id: answer.id,
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
    const completion = answer.completion('text', '', 'stop', openAiUsage(1, 2));
    expect(completion).toMatchObject({
      id: answer.id,
      object: 'chat.completion',
      model: 'public-name',
      choices: [{ message: { role: 'assistant', content: 'text' }, finish_reason: 'stop' }],
    });
    expect((completion['choices'] as Array<{ message: object }>)[0].message).not.toHaveProperty('reasoning_content');
    expect(answer.completion('t', 'why', 'stop', openAiUsage(1, 2))).toMatchObject({ choices: [{ message: { reasoning_content: 'why' } }] });
  });

  it('gives every answer its own id', () => {
    expect(new OpenAiAnswer('m').id).not.toBe(new OpenAiAnswer('m').id);
  });
});
