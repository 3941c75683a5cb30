import type { SiteModel } from '../providers/lmarena/bridge-transport';

/** Close codes of our protocol (docs/lmarena.md): the userscript shows them to the user. */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN_ORIGIN = 4403;
export const CLOSE_GOING_AWAY = 1001;
/** The proxy could not check the secret (database down): the script retries later. */
export const CLOSE_TRY_AGAIN = 1013;

/** A hello is a secret and two short strings; anything bigger before authentication is refused. */
export const MAX_HELLO_BYTES = 4096;

export interface HelloFrame {
  secret: string;
  version: string;
  origin: string;
}

/** What an authenticated browser may send. Anything else is ignored. */
export type BrowserFrame =
  | { kind: 'pong' }
  | { kind: 'ping' }
  | { kind: 'models'; models: SiteModel[] }
  | { kind: 'data'; requestId: string; text: string }
  | { kind: 'done'; requestId: string }
  | { kind: 'failed'; requestId: string; status: number; error: string };

const MAX_MODELS = 2_000;
const MAX_FIELD = 200;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function short(value: unknown, max = MAX_FIELD): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

/** The first frame of a socket; null when it is not a well-formed hello. */
export function parseHello(text: string): HelloFrame | null {
  const frame = parseJson(text);
  if (!isRecord(frame) || frame['type'] !== 'hello' || typeof frame['secret'] !== 'string') return null;
  return {
    secret: frame['secret'],
    version: short(frame['version'], 64) ?? '',
    origin: short(frame['origin']) ?? '',
  };
}

/** Keeps what the hub and dashboard use of a reported model, with every field bounded. */
function siteModel(value: unknown): SiteModel | null {
  if (!isRecord(value)) return null;
  const id = short(value['id']);
  if (!id) return null;
  const model: SiteModel = { id };
  const publicName = short(value['publicName']);
  const organization = short(value['organization']);
  const provider = short(value['provider']);
  if (publicName !== undefined) model.publicName = publicName;
  if (organization !== undefined) model.organization = organization;
  if (provider !== undefined) model.provider = provider;
  const caps = value['capabilities'];
  if (isRecord(caps)) {
    model.capabilities = {};
    // Capability maps are small objects of flags; a stringified size check keeps them so.
    for (const key of ['inputCapabilities', 'outputCapabilities'] as const) {
      const part = caps[key];
      if (isRecord(part) && JSON.stringify(part).length <= 2_000) model.capabilities[key] = part;
    }
  }
  return model;
}

export function parseBrowserFrame(text: string): BrowserFrame | null {
  const frame = parseJson(text);
  if (!isRecord(frame)) return null;
  const requestId = frame['request_id'];
  if (typeof requestId === 'string') {
    const data = frame['data'];
    if (typeof data === 'string') return data === '[DONE]' ? { kind: 'done', requestId } : { kind: 'data', requestId, text: data };
    if (isRecord(data)) {
      const status = typeof data['status'] === 'number' && Number.isInteger(data['status']) ? data['status'] : 0;
      const error = typeof data['error'] === 'string' ? data['error'] : JSON.stringify(data['error'] ?? 'the browser reported a failure');
      return {
        kind: 'failed',
        requestId,
        status,
        error: error.slice(0, 10_000),
      };
    }
    return null;
  }
  switch (frame['type']) {
    case 'pong':
      return { kind: 'pong' };
    case 'ping':
      return { kind: 'ping' };
    case 'models': {
      const list = frame['models'];
      if (!Array.isArray(list)) return null;
      const models = list
        .slice(0, MAX_MODELS)
        .map(siteModel)
        .filter((m): m is SiteModel => m !== null);
      return { kind: 'models', models };
    }
    default:
      return null;
  }
}
