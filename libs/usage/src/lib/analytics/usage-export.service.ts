import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { usageExportContentType, usageExportFileName, UsageExportFormat, usageExportRowChunks, USAGE_CSV_HEADER } from './usage-export';
import { copyChunks } from './usage-export-copy';
import { LogRowArray, UsageLogFilter, UsageLogService } from './usage-log.service';
import { UsageScope } from './usage-scope';

/** An export ready to send: its headers and a byte stream to pipe into the response. */
export interface UsageExport {
  fileName: string;
  contentType: string;
  stream: Readable;
}

/**
 * CSV exports written by COPY at once (each holds two connections of its own); more wait for
 * none of them: they take the row path on the pool's connections.
 */
export const MAX_COPY_EXPORTS = 4;

/** The request log as a downloadable file, streamed in keyset pages (see usageExportChunks). */
@Injectable()
export class UsageExportService {
  private copies = 0;

  constructor(private readonly logs: UsageLogService) {}

  /**
   * Runs the first page's query (or the first slice's COPY) before resolving, so a failing
   * database is still an ordinary error answer rather than a download cut short; the rest is
   * read as the stream is consumed and stops when the stream is destroyed. CSV on PostgreSQL
   * is written by the server (UsageLogService.csvCopy), anything else from row arrays.
   */
  async open(filter: UsageLogFilter, scope: UsageScope, format: UsageExportFormat, now: number = Date.now()): Promise<UsageExport> {
    const file = { fileName: usageExportFileName(format, now), contentType: usageExportContentType(format) };
    const copy = format === 'csv' && this.copies < MAX_COPY_EXPORTS ? await this.logs.csvCopy(filter, scope, now) : null;
    if (copy) {
      this.copies += 1;
      let counted = true;
      const release = () => {
        if (counted) this.copies -= 1;
        counted = false;
      };
      try {
        const chunks = copyChunks(copy.config, copy.statements);
        const first = await chunks.next();
        async function* all(): AsyncGenerator<Buffer> {
          yield Buffer.from(USAGE_CSV_HEADER);
          if (first.done) return;
          yield first.value;
          yield* chunks;
        }
        const stream = Readable.from(all(), { objectMode: false });
        // Also when the stream is destroyed before it was read: the COPY's connections close with `chunks`.
        stream.once('close', () => {
          release();
          chunks.return(undefined).catch(() => undefined);
        });
        return { ...file, stream };
      } catch (err) {
        release();
        throw err;
      }
    }
    const pages = this.logs.rowPages(filter, scope, now);
    const first = await pages.next();
    async function* all(): AsyncGenerator<LogRowArray[]> {
      if (first.done) return;
      yield first.value;
      yield* pages;
    }
    // Byte mode: at most ~16 KiB plus the page being written waits in the stream.
    return { ...file, stream: Readable.from(usageExportRowChunks(all(), format), { objectMode: false }) };
  }
}
