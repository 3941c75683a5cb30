/**
 * The frames of the proxy ↔ userscript protocol (docs/lmarena.md, "Our bridge protocol").
 * Everything is a JSON text frame.
 */

export interface SiteModel {
  id: string;
  publicName: string;
  organization?: string;
  provider?: string;
  capabilities?: unknown;
}

/** What the proxy asks the page to fetch; the server builds all of it. */
export interface SitePayload {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export type ServerFrame =
  | { kind: 'welcome'; browserId: string }
  | { kind: 'request'; requestId: string; payload: SitePayload }
  | { kind: 'cancel'; requestId: string }
  | { kind: 'ping' }
  | { kind: 'refresh' };

export type BrowserFrame =
  | { type: 'hello'; secret: string; version: string; origin: string }
  | { type: 'pong' }
  | { type: 'models'; models: SiteModel[] }
  | { request_id: string; data: string }
  | { request_id: string; data: { error: string; status: number } };

export const DONE = '[DONE]';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one frame from the proxy; null for anything this version does not understand. */
export function parseServerFrame(text: string): ServerFrame | null {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(frame)) return null;
  if (frame['command'] === 'refresh') return { kind: 'refresh' };
  switch (frame['type']) {
    case 'welcome':
      return { kind: 'welcome', browserId: typeof frame['browser_id'] === 'string' ? frame['browser_id'] : '' };
    case 'ping':
      return { kind: 'ping' };
    case 'cancel':
      return typeof frame['request_id'] === 'string' ? { kind: 'cancel', requestId: frame['request_id'] } : null;
  }
  const requestId = frame['request_id'];
  const payload = frame['payload'];
  if (typeof requestId === 'string' && isRecord(payload)) {
    const { method, path, body } = payload;
    if (typeof method === 'string' && typeof path === 'string' && isRecord(body)) {
      return { kind: 'request', requestId, payload: { method, path, body } };
    }
  }
  return null;
}
