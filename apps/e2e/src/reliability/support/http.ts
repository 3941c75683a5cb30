import { connect } from 'node:net';
import { Pool } from 'undici';

/** One answer, read in full. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Milliseconds from sending to the end of the answer. */
  ms: number;
}

export interface Sent {
  method: string;
  path: string;
  /** Flat [name, value, name, value, …]: lets a header appear twice. */
  headers: string[];
  body?: Buffer | string;
}

/** Longest any one request may take before the test calls it a hang. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** A keep-alive connection pool to one server (undici), as a real client would use. */
export function keepAlivePool(url: string, connections = 1): Pool {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

/** Sends one request over the pool and reads the whole answer; rejects after REQUEST_TIMEOUT_MS. */
export async function send(pool: Pool, req: Sent, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  const started = Date.now();
  const res = await pool.request({
    method: req.method as 'POST',
    path: req.path,
    headers: req.headers,
    body: req.body,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, ms: Date.now() - started };
}

/**
 * Writes raw bytes on a fresh TCP connection (for what no HTTP client will send: bytes that
 * are not valid in a header, conflicting framing, …) and parses the first answer. The request
 * should ask for `Connection: close`; the answer is read until the server closes.
 */
export function rawRequest(port: number, bytes: Buffer, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer & { raw: string }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got: ${JSON.stringify(Buffer.concat(parts).toString('latin1').slice(0, 300))}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => parts.push(d));
    // A reset after the server answered is normal when it closes with unread input.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(parts).toString('latin1');
      const head = raw.indexOf('\r\n\r\n');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      if (!match || head === -1) {
        reject(new Error(`not an HTTP answer: ${JSON.stringify(raw.slice(0, 300))}`));
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of raw.slice(0, head).split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body = Buffer.from(raw.slice(head + 4), 'latin1');
      const length = headers['content-length'];
      if (length !== undefined) body = body.subarray(0, Number(length));
      resolve({ status: Number(match[1]), headers, text: body.toString('utf8'), ms: Date.now() - started, raw });
    });
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The proxy's documented error body: `{"error":{message,type,param,code}}`, nothing else. */
export function proxyErrorProblem(text: string): string | null {
  const body = parseJson(text);
  if (!isRecord(body) || Object.keys(body).join() !== 'error' || !isRecord(body['error'])) return 'not {"error":{…}}';
  const e = body['error'];
  if (Object.keys(e).sort().join() !== 'code,message,param,type') return `keys ${Object.keys(e).join()}`;
  if (typeof e['message'] !== 'string' || e['message'] === '') return 'message';
  if (typeof e['type'] !== 'string' || typeof e['code'] !== 'string') return 'type/code';
  if (e['param'] !== null && typeof e['param'] !== 'string') return 'param';
  return null;
}

/** The dashboard's documented error body: `{statusCode,error,message}` with message a string or string[]. */
export function dashboardErrorProblem(text: string, status: number): string | null {
  const body = parseJson(text);
  if (!isRecord(body)) return 'not an object';
  if (Object.keys(body).sort().join() !== 'error,message,statusCode') return `keys ${Object.keys(body).join()}`;
  if (body['statusCode'] !== status) return 'statusCode differs from the status';
  if (typeof body['error'] !== 'string' || body['error'] === '') return 'error';
  const m = body['message'];
  if (!(typeof m === 'string' || (Array.isArray(m) && m.every((x) => typeof x === 'string')))) return 'message';
  return null;
}
