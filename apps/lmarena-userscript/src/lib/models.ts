import type { SiteModel } from './protocol';

/**
 * The site's model list, as the page embeds it: an `initialModels` array inside the Next.js
 * payload scripts (`self.__next_f.push([1,"…"])`), where the JSON is itself inside a JS string
 * literal (`\"initialModels\":[{\"id\":…}]`), or plain JSON in a data script.
 */
export function findInitialModels(texts: Iterable<string>): SiteModel[] | null {
  for (const text of texts) {
    let from = 0;
    for (;;) {
      const at = text.indexOf('initialModels', from);
      if (at < 0) break;
      from = at + 'initialModels'.length;
      const models = arrayAfter(text, from);
      if (models) return models;
    }
  }
  return null;
}

/** The array right after `initialModels` at `from`: `":[` plain or `\":[` escaped once. */
function arrayAfter(text: string, from: number): SiteModel[] | null {
  const rest = text.slice(from, from + 8);
  const plain = /^"\s*:\s*\[/.exec(rest);
  const escaped = /^\\"\s*:\s*\[/.exec(rest);
  const match = plain ?? escaped;
  if (!match) return null;
  const start = from + match[0].length - 1;
  const json = escaped ? unescapedArray(text, start) : plainArray(text, start);
  if (json === null) return null;
  try {
    return normalizeModels(JSON.parse(json));
  } catch {
    return null;
  }
}

/** The JSON array text starting at `start` (a `[`), up to its matching `]`. */
function plainArray(text: string, start: number): string | null {
  const length = jsonValueLength(text.slice(start));
  return length === null ? null : text.slice(start, start + length);
}

/** The same inside a JS string literal: decode its escapes as we go, then match brackets. */
function unescapedArray(text: string, start: number): string | null {
  let decoded = '';
  function* chars(): Generator<string> {
    for (let i = start; i < text.length; i++) {
      let c = text[i];
      if (c === '"') return; // the end of the enclosing string literal
      if (c === '\\') {
        const next = text[++i] ?? '';
        if (next === 'u') {
          c = String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16));
          i += 4;
        } else c = ESCAPES[next] ?? next;
      }
      decoded += c;
      yield c;
    }
  }
  return jsonValueLength(chars()) === null ? null : decoded;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** How many characters the JSON array or object at the start of `chars` spans; null if it never closes. */
function jsonValueLength(chars: Iterable<string>): number | null {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let length = 0;
  for (const c of chars) {
    length++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return length;
    }
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Keeps the fields the proxy stores (id, publicName, organization, provider, capabilities) of
 * each entry that has an id and a public name. Accepts an array or `{models: […]}` (the
 * model-catalog answer).
 */
export function normalizeModels(value: unknown): SiteModel[] | null {
  const list = Array.isArray(value) ? value : isRecord(value) && Array.isArray(value['models']) ? value['models'] : null;
  if (!list) return null;
  const models: SiteModel[] = [];
  for (const entry of list) {
    if (!isRecord(entry)) continue;
    const { id, publicName, organization, provider, capabilities } = entry;
    if (typeof id !== 'string' || id === '' || typeof publicName !== 'string') continue;
    models.push({
      id,
      publicName,
      ...(typeof organization === 'string' ? { organization } : {}),
      ...(typeof provider === 'string' ? { provider } : {}),
      ...(capabilities !== undefined ? { capabilities } : {}),
    });
  }
  return models.length ? models : null;
}

export const MODEL_CATALOG_PATH = '/nextjs-api/model-catalog';

/** The page's own list first (no request); else the site's catalog endpoint if it answers JSON. */
export async function readSiteModels(doc: Document, fetchFn: typeof fetch): Promise<SiteModel[] | null> {
  const scripts = Array.from(doc.getElementsByTagName('script'), (s) => s.textContent ?? '');
  const fromPage = findInitialModels(scripts);
  if (fromPage) return fromPage;
  try {
    const res = await fetchFn(MODEL_CATALOG_PATH, { credentials: 'include', headers: { Accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return null;
    return normalizeModels(await res.json());
  } catch {
    return null;
  }
}
