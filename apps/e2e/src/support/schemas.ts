import Ajv, { ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as { components: object };
const openai = fixture('openai-schemas.json');
const anthropic = fixture('anthropic-schemas.json');

/** OpenAPI 3.0's `nullable: true` as JSON Schema (ajv's own `nullable` needs a `type` beside it). */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) out[key] = toJsonSchema(value);
  return nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(toJsonSchema({ $id: 'openai', components: openai.components }) as object);
ajv.addSchema(toJsonSchema({ $id: 'anthropic', components: anthropic.components }) as object);
const cache = new Map<string, ValidateFunction>();

function validator(ref: string): ValidateFunction {
  let v = cache.get(ref);
  if (!v) {
    v = ajv.getSchema(ref);
    if (!v) throw new Error(`no schema ${ref}`);
    cache.set(ref, v);
  }
  return v;
}

/** Fails the test unless `value` (a JSON body or stream event) matches the published schema `name`. */
export function expectSchema(name: string, value: unknown, spec: 'openai' | 'anthropic' = 'openai'): void {
  const validate = validator(`${spec}#/components/schemas/${name}`);
  // Through JSON: the clients' objects may carry non-JSON extras (undefined fields).
  if (!validate(JSON.parse(JSON.stringify(value)))) {
    throw new Error(`${name} does not match ${spec}'s schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 2000)}`);
  }
}
