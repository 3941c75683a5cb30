import { UsageNote, UsageRecorder } from '@lmarena-bridge/usage';
import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

/**
 * Step 7: one usage row per request made with a dashboard token, handed to the recorder when
 * the response is over — completed (its status, or the error status of a failed stream), or
 * cut short by the client (499). Armed once the body is read, so errors answered by the
 * fail step after that are recorded too: the row is taken from the note and the response,
 * not from the step that failed. `record()` never waits: the recorder queues (or spools) the row.
 */
@Injectable()
export class RecordStep {
  constructor(private readonly recorder: UsageRecorder) {}

  watch(res: ServerResponse, note: UsageNote): void {
    if (!note.owner) return;
    res.once('close', () => {
      const row = note.toRow({ httpStatus: res.statusCode, finished: res.writableFinished });
      if (row) this.recorder.record(row);
    });
  }
}
