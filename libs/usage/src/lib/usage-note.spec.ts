import { CLIENT_CLOSED_REQUEST, requestPath, UsageNote } from './usage-note';
import type { IncomingMessage } from 'node:http';

const OWNER = { tokenId: 7, userId: 3 };
const ARRIVED = 1_764_000_000_000;
const T0 = 10_000_000_000n;
const ms = (n: number) => T0 + BigInt(Math.round(n * 1e6));

describe('UsageNote', () => {
  const aNote = () => new UsageNote('/v1/chat/completions', ARRIVED, T0);

  it('makes no row for a request without an owner (shared api_key, open proxy)', () => {
    const note = aNote();
    note.model = 'echo';
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(5))).toBeNull();
  });

  it('makes one row of what the steps noted, with the HTTP status and the time taken', () => {
    const note = aNote();
    note.owner = OWNER;
    Object.assign(note, { model: 'echo', promptTokens: 4, completionTokens: 9 });
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(12.4))).toEqual({
      createdAt: ARRIVED,
      userId: 3,
      tokenId: 7,
      model: 'echo',
      endpoint: '/v1/chat/completions',
      stream: false,
      statusCode: 200,
      responseTimeMs: 12,
      ttftMs: null,
      promptTokens: 4,
      completionTokens: 9,
      usageEstimated: false,
      costUsd: null,
      refused: false,
      errorMessage: null,
    });
  });

  it('costs the counts at the price noted: (prompt x input + completion x output) / 1e6 USD', () => {
    const note = aNote();
    note.owner = OWNER;
    Object.assign(note, { price: { inputPerMtok: 0.15, outputPerMtok: 0.6 }, promptTokens: 1200, completionTokens: 350 });
    // 1200 x 0.15 + 350 x 0.6 = 390 micro-dollars.
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(3))?.costUsd).toBe(0.00039);
    // A client that left still pays for what the upstream reported.
    expect(note.toRow({ httpStatus: 200, finished: false }, ms(3))?.costUsd).toBe(0.00039);
  });

  it('has no cost without a price, or without any token count', () => {
    const note = aNote();
    note.owner = OWNER;
    Object.assign(note, { promptTokens: 10, completionTokens: 10 });
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(3))?.costUsd).toBeNull();
    Object.assign(note, { price: { inputPerMtok: 1, outputPerMtok: 2 }, promptTokens: null, completionTokens: null, statusCode: 502 });
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(3))?.costUsd).toBeNull();
    // One count known: the other counts as none.
    note.promptTokens = 1000;
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(3))?.costUsd).toBe(0.001);
  });

  it('carries a refusal by the limits', () => {
    const note = aNote();
    note.owner = OWNER;
    Object.assign(note, { refused: true, statusCode: 429, errorMessage: 'rate limit' });
    expect(note.toRow({ httpStatus: 429, finished: true }, ms(1))).toMatchObject({ refused: true, statusCode: 429, costUsd: null });
  });

  it('carries the estimated flag of the counts', () => {
    const note = aNote();
    note.owner = OWNER;
    Object.assign(note, { promptTokens: 40, completionTokens: 2, usageEstimated: true });
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(3))).toMatchObject({ promptTokens: 40, completionTokens: 2, usageEstimated: true });
  });

  it('records the outcome of a stream that failed after its 200 was sent', () => {
    const note = aNote();
    note.owner = OWNER;
    Object.assign(note, { stream: true, statusCode: 502, errorMessage: 'upstream reset' });
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(3))).toMatchObject({ statusCode: 502, stream: true, errorMessage: 'upstream reset' });
  });

  it(`records ${CLIENT_CLOSED_REQUEST} with a reason when the client left before the end`, () => {
    const note = aNote();
    note.owner = OWNER;
    note.ttftMs = 3;
    expect(note.toRow({ httpStatus: 200, finished: false }, ms(8))).toMatchObject({
      statusCode: CLIENT_CLOSED_REQUEST,
      ttftMs: 3,
      errorMessage: 'client closed the connection before the answer ended',
    });
    note.errorMessage = 'upstream reset';
    expect(note.toRow({ httpStatus: 200, finished: false }, ms(8))?.errorMessage).toBe('upstream reset');
  });

  it('counts a sub-millisecond answer as 1 ms', () => {
    const note = aNote();
    note.owner = OWNER;
    expect(note.toRow({ httpStatus: 200, finished: true }, ms(0.2))?.responseTimeMs).toBe(1);
  });

  it('names the path without its query string', () => {
    expect(requestPath({ url: '/v1/chat/completions?x=1' } as IncomingMessage)).toBe('/v1/chat/completions');
    expect(requestPath({ url: '/v1/chat/completions/' } as IncomingMessage)).toBe('/v1/chat/completions/');
    expect(requestPath({} as IncomingMessage)).toBe('');
  });
});
