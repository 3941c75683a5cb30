import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

/** The OpenAI error body, `{error: {message, type, param, code}}`, as Swagger shows it. */
const OPENAI_ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: 'string', nullable: true }, code: { type: 'string' } },
    },
  },
};
/** The Anthropic error body, `{type: "error", error: {type, message}}`. */
const ANTHROPIC_ERROR_SCHEMA = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['error'] }, error: { type: 'object', properties: { type: { type: 'string' }, message: { type: 'string' } } } },
};

type ErrorDoc = [status: number, description: string];

/** The errors every OpenAI-shaped endpoint besides chat answers (their codes as the descriptions). */
export const PASSTHROUGH_ERRORS: readonly ErrorDoc[] = [
  [400, 'invalid_request / unsupported_endpoint'],
  [401, 'invalid_api_key'],
  [404, 'model_not_found'],
];

/**
 * ApiResponse decorators as if written one per line in this order: decorators written on top
 * of each other apply bottom first, applyDecorators in its arguments' order, so the list is
 * reversed (two errors of one status merge their descriptions in that order).
 */
function apiErrors(errors: readonly ErrorDoc[], schema: object): MethodDecorator & ClassDecorator {
  return applyDecorators(...errors.map(([status, description]) => ApiResponse({ status, description, schema })).reverse());
}

/** One Swagger response per error, each with the OpenAI error body. */
export function ApiOpenAiErrors(errors: readonly ErrorDoc[]): MethodDecorator & ClassDecorator {
  return apiErrors(errors, OPENAI_ERROR_SCHEMA);
}

/** One Swagger response per error, each with the Anthropic error body. */
export function ApiAnthropicErrors(errors: readonly ErrorDoc[]): MethodDecorator & ClassDecorator {
  return apiErrors(errors, ANTHROPIC_ERROR_SCHEMA);
}
