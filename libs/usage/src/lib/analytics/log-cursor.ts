import { BadRequestException } from '@nestjs/common';

/** Where a page of the request log ended: the (created_at, id) of its last row. */
export interface LogCursor {
  createdAt: number;
  id: number;
}

const MAX_ID = 2_147_483_647;

/** Opaque to clients: base64url of `createdAt:id`. */
export function encodeLogCursor(cursor: LogCursor): string {
  return Buffer.from(`${cursor.createdAt}:${cursor.id}`, 'utf8').toString('base64url');
}

/** The cursor a client sent back; anything that is not one we made is a 400. */
export function decodeLogCursor(text: string): LogCursor {
  const invalid = () => new BadRequestException(['cursor is not a cursor this API returned']);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) throw invalid();
  const match = /^(\d{1,16}):(\d{1,10})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) throw invalid();
  const createdAt = Number(match[1]);
  const id = Number(match[2]);
  if (!Number.isSafeInteger(createdAt) || id < 1 || id > MAX_ID) throw invalid();
  // Only the canonical spelling: no two strings name the same position.
  if (encodeLogCursor({ createdAt, id }) !== text) throw invalid();
  return { createdAt, id };
}
