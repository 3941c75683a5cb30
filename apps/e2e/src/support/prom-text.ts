/**
 * A small, strict parser of the Prometheus text exposition format (version 0.0.4): enough to
 * read /metrics in tests and to fail loudly on anything malformed (an unknown TYPE, a sample
 * of an undeclared family, a bad label or value).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

function parseValue(raw: string, line: string): number {
  // As Prometheus reads them (Go's ParseFloat): NaN and Inf in any letter case (prom-client writes "Nan").
  const special = raw.toLowerCase();
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  if (special === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad sample value ${JSON.stringify(raw)} in: ${line}`);
  return Number(raw);
}

function parseLabels(raw: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = raw;
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!m) throw new Error(`bad labels in: ${line}`);
    if (m[1] in labels) throw new Error(`duplicate label ${m[1]} in: ${line}`);
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      if (!NAME.test(m[2])) throw new Error(`bad metric name in: ${line}`);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3] ?? '')) throw new Error(`unknown type in: ${line}`);
        if (types.has(m[2])) throw new Error(`second TYPE for ${m[2]}`);
        types.set(m[2], m[3] ?? '');
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const name = m[1];
    const family = types.has(name) ? name : SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find((f) => f && types.has(f));
    if (!family) throw new Error(`sample of an undeclared metric family: ${line}`);
    samples.push({ name, labels: m[3] ? parseLabels(m[3], line) : {}, value: parseValue(m[4], line) });
  }
  return { types, samples };
}

/** Sum of the samples named `name` whose labels include every pair in `match`. */
export function sumOf(exposition: Exposition, name: string, match: Record<string, string> = {}): number {
  return exposition.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** Fetches and parses a /metrics endpoint. */
export async function scrape(url: string, token?: string): Promise<Exposition> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain')) throw new Error(`GET ${url}: content-type ${type}`);
  return parsePrometheusText(await res.text());
}
