import { UsageNote, UsageRecorder, UsageRow } from '@lmarena-bridge/usage';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { RecordStep } from './record.step';

/** The part of a response the record step reads: its status, whether it finished, its 'close'. */
function aResponse(statusCode: number, writableFinished: boolean): ServerResponse {
  return Object.assign(new EventEmitter(), { statusCode, writableFinished }) as unknown as ServerResponse;
}

describe('RecordStep', () => {
  let rows: UsageRow[];
  let step: RecordStep;

  beforeEach(() => {
    rows = [];
    step = new RecordStep({ record: (row: UsageRow) => rows.push(row) } as unknown as UsageRecorder);
  });

  const owned = () => {
    const note = new UsageNote('/v1/chat/completions');
    note.owner = { tokenId: 5, userId: 2 };
    return note;
  };

  it('hands one row to the recorder when the response closes, with what was noted by then', () => {
    const note = owned();
    const res = aResponse(200, true);
    step.watch(res, note);
    note.model = 'echo';
    note.promptTokens = 3;
    note.usageEstimated = true;
    expect(rows).toEqual([]);
    res.emit('close');
    expect(rows).toEqual([expect.objectContaining({ tokenId: 5, userId: 2, model: 'echo', statusCode: 200, promptTokens: 3, usageEstimated: true })]);
  });

  it('records an answer the client did not wait for as 499', () => {
    const res = aResponse(200, false);
    step.watch(res, owned());
    res.emit('close');
    expect(rows).toEqual([expect.objectContaining({ statusCode: 499 })]);
  });

  it('records nothing for a caller without an owner (shared api_key, open proxy)', () => {
    const res = aResponse(200, true);
    step.watch(res, new UsageNote('/v1/chat/completions'));
    res.emit('close');
    expect(rows).toEqual([]);
    expect(res.listenerCount('close')).toBe(0);
  });
});
