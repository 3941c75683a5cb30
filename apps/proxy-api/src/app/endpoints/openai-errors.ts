import type { ProxyError } from '../errors/proxy-error';
import type { ErrorShape } from './endpoint';

/** OpenAI's error body; a started stream ends with it as an SSE event, then [DONE]. */
export const OPENAI_ERRORS: ErrorShape = {
  body: (err) => err.body(),
  streamEnd: (err: ProxyError) => `data: ${JSON.stringify(err.body())}\n\ndata: [DONE]\n\n`,
};
