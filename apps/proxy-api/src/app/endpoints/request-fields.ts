import { ProxyError } from '../errors/proxy-error';

const MAX_MODEL_NAME = 200;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields every endpoint relies on: a JSON object with a model name and an optional stream flag. */
export function modelAndStream(raw: unknown): { body: Record<string, unknown>; model: string; stream: boolean } {
  if (!isObject(raw)) throw ProxyError.invalidRequest('The request body must be a JSON object.');
  const model = raw['model'];
  if (typeof model !== 'string' || model.trim() === '') throw ProxyError.invalidRequest('"model" is required and must be a non-empty string.', 'model');
  if (model.length > MAX_MODEL_NAME) throw ProxyError.invalidRequest(`"model" must be at most ${MAX_MODEL_NAME} characters.`, 'model');
  const stream = raw['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw ProxyError.invalidRequest('"stream" must be true or false.', 'stream');
  return { body: raw, model, stream: stream === true };
}

/** Refuses a present field of the wrong type with a 400 naming it. */
export function optional(body: Record<string, unknown>, key: string, check: (v: unknown) => boolean, expected: string, param = key): void {
  if (body[key] !== undefined && body[key] !== null && !check(body[key])) throw ProxyError.invalidRequest(`"${param}" must be ${expected}.`, param);
}

export const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
