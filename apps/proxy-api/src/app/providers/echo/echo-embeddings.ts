import { createHash } from 'node:crypto';
import { ProxyError } from '../../errors/proxy-error';
import { countWords } from './echo.provider';

/** Length of echo's embedding vectors. */
export const ECHO_DIMENSIONS = 256;

/**
 * A deterministic unit vector for a text: SHA-256 of "<block>:<text>" gives 32 bytes per
 * block, each mapped to [-1, 1]; the vector is then normalised to length 1. Same text, same
 * vector; different texts, (almost surely) different vectors.
 */
export function echoVector(text: string, dimensions = ECHO_DIMENSIONS): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    for (const byte of createHash('sha256').update(`${block}:${text}`).digest()) {
      if (values.length === dimensions) break;
      values.push(byte / 127.5 - 1);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  return values.map((v) => v / norm);
}

/** An embedding as OpenAI sends it with `encoding_format: "base64"`: little-endian float32 bytes. */
export function base64Vector(vector: number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

const isTokenArray = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === 'number' && Number.isInteger(n));

/** The inputs of an embeddings request (a string, strings, a token array, token arrays) as texts and token counts. */
export function embeddingInputs(input: unknown): Array<{ text: string; tokens: number }> {
  if (typeof input === 'string') return [{ text: input, tokens: countWords(input) }];
  if (isTokenArray(input)) return [{ text: input.join(' '), tokens: input.length }];
  if (Array.isArray(input) && input.length > 0) {
    return input.map((item: unknown, i) => {
      if (typeof item === 'string') return { text: item, tokens: countWords(item) };
      if (isTokenArray(item)) return { text: item.join(' '), tokens: item.length };
      throw ProxyError.invalidRequest(`"input[${i}]" must be a string or an array of token ids.`, 'input');
    });
  }
  throw ProxyError.invalidRequest('"input" must be a non-empty string, array of strings, or array of token ids.', 'input');
}

/** Echo's answer to POST /v1/embeddings, in OpenAI's shape. */
export function echoEmbeddings(body: Record<string, unknown>, model: string): object {
  const inputs = embeddingInputs(body['input']);
  const base64 = body['encoding_format'] === 'base64';
  const dimensions =
    typeof body['dimensions'] === 'number' && Number.isInteger(body['dimensions']) && body['dimensions'] >= 1 && body['dimensions'] <= 4096
      ? body['dimensions']
      : ECHO_DIMENSIONS;
  const promptTokens = inputs.reduce((sum, i) => sum + i.tokens, 0);
  return {
    object: 'list',
    data: inputs.map((input, index) => {
      const vector = echoVector(input.text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? base64Vector(vector) : vector };
    }),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
