import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { usageExportContentType, usageExportFileName, UsageExportFormat, usageExportRowChunks } from './usage-export';
import { LogRowArray, UsageLogFilter, UsageLogService } from './usage-log.service';
import { UsageScope } from './usage-scope';

/** An export ready to send: its headers and a byte stream to pipe into the response. */
export interface UsageExport {
  fileName: string;
  contentType: string;
  stream: Readable;
}

/** The request log as a downloadable file, streamed in keyset pages (see usageExportChunks). */
@Injectable()
export class UsageExportService {
  constructor(private readonly logs: UsageLogService) {}

  /**
   * Runs the first page's query before resolving, so a failing database is still an
   * ordinary error answer rather than a download cut short; the rest is read as the
   * stream is consumed, one page at a time, and stops when the stream is destroyed.
   */
  async open(filter: UsageLogFilter, scope: UsageScope, format: UsageExportFormat, now: number = Date.now()): Promise<UsageExport> {
    const pages = this.logs.rowPages(filter, scope, now);
    const first = await pages.next();
    async function* all(): AsyncGenerator<LogRowArray[]> {
      if (first.done) return;
      yield first.value;
      yield* pages;
    }
    return {
      fileName: usageExportFileName(format, now),
      contentType: usageExportContentType(format),
      // Byte mode: at most ~16 KiB plus the page being written waits in the stream.
      stream: Readable.from(usageExportRowChunks(all(), format), { objectMode: false }),
    };
  }
}
