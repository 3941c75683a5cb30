// Runs the Vercel AI SDK (ESM only) against the proxy in its own Node process: jest's CJS
// module system cannot load it. Prints one JSON line with what each call returned.
// Environment: PROXY_URL (http://127.0.0.1:port), API_KEY (a dashboard token).
import { createOpenAI } from '@ai-sdk/openai';
import { embed, embedMany, generateText, jsonSchema, streamText, tool } from 'ai';

const openai = createOpenAI({ baseURL: `${process.env.PROXY_URL}/v1`, apiKey: process.env.API_KEY });
const out = {};
const step = async (name, fn) => {
  try {
    out[name] = await fn();
  } catch (err) {
    out[name] = { error: String(err?.message ?? err), status: err?.statusCode ?? null };
  }
};

const weather = tool({
  description: 'The weather of a city',
  inputSchema: jsonSchema({ type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false }),
});

await step('responses', async () => {
  const r = await generateText({ model: openai('echo'), prompt: 'Hello from the AI SDK' });
  return { text: r.text, finishReason: r.finishReason, inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens };
});
await step('chat', async () => {
  const r = await generateText({ model: openai.chat('echo'), prompt: 'Hello from the chat path' });
  return { text: r.text, finishReason: r.finishReason, inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens };
});
await step('embed', async () => {
  const r = await embed({ model: openai.embedding('echo'), value: 'sunny day at the beach' });
  return { length: r.embedding.length, tokens: r.usage?.tokens ?? null };
});
await step('embedMany', async () => {
  const r = await embedMany({ model: openai.embedding('echo'), values: ['one', 'two words'] });
  return { count: r.embeddings.length, lengths: r.embeddings.map((e) => e.length), tokens: r.usage?.tokens ?? null };
});
for (const [name, model] of [
  ['streamTextToolsResponses', openai(process.env.TOOLS_MODEL)],
  ['streamTextToolsChat', openai.chat(process.env.TOOLS_MODEL)],
]) {
  await step(name, async () => {
    const r = streamText({ model, prompt: 'Weather in Paris?', tools: { get_weather: weather } });
    const parts = [];
    for await (const part of r.fullStream) parts.push(part.type);
    const calls = await r.toolCalls;
    return {
      finishReason: await r.finishReason,
      calls: calls.map((c) => ({ name: c.toolName, input: c.input })),
      sawToolInputDelta: parts.includes('tool-input-delta'),
    };
  });
}
await step('streamText', async () => {
  const r = streamText({ model: openai('echo'), prompt: 'streamed words here' });
  let text = '';
  for await (const delta of r.textStream) text += delta;
  return { text, usage: (await r.usage).outputTokens };
});
process.stdout.write(`${JSON.stringify(out)}\n`);
