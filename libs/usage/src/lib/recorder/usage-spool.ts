import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, fsync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageRow } from './usage-row';

/** A usage row with the id that makes its insert idempotent (usage_logs.row_uid). */
export interface SpooledRow extends UsageRow {
  uid: string;
}

/** A segment is closed and a new one started once it holds this many bytes. */
export const SEGMENT_BYTES = 4 * 1024 * 1024;

const SEGMENT_NAME = /^usage-(\d+)-([0-9a-z]+)-([0-9a-z]+)\.jsonl$/;

/** One file of the spool. Rows are JSON lines; a segment is appended to by one process only. */
export class SpoolSegment {
  /** Rows of this segment still waiting in memory for the database. */
  pending = 0;
  /** Some rows of it are on disk only (spilled or from an earlier run): replay before deleting. */
  needsReplay = false;
  bytes = 0;
  fd: number | null = null;
  syncing = false;
  dirty = false;
  closeAfterSync = false;
  syncWaiters: Array<() => void> = [];

  constructor(
    readonly path: string,
    readonly name: string,
  ) {}

  get open(): boolean {
    return this.fd !== null;
  }
}

/** What a replay read from one segment file. */
export interface SegmentContents {
  rows: SpooledRow[];
  /** Complete lines that were not a row (a corrupted disk); skipped. */
  badLines: number;
  /** A last line without its newline: a write cut short by a crash or power loss; ignored. */
  tornTail: boolean;
}

/** Is a process with this pid running (and not us)? A pid reused by another program reads as alive. */
function aliveOther(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeAll(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/**
 * The append-only spool of the usage recorder, in `usage.spool_dir`: every batch is appended
 * (one write call) before the database sees it, so a row is on disk from the moment its batch
 * is cut, whatever happens to the transaction; `fdatasync` follows, coalesced: at most one in
 * flight per segment, and rows appended meanwhile share the next one (one fsync per batch at
 * most, fewer under load). A segment is deleted once none of its rows waits any more.
 *
 * Files are named `usage-<pid>-<start>-<seq>.jsonl`; at start a process adopts the segments of
 * processes that are gone (replay), never those of another running proxy.
 */
export class UsageSpool {
  private readonly segments: SpoolSegment[] = [];
  private active: SpoolSegment | null = null;
  private readonly instance = `${process.pid}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  private seq = 0;
  private dirReady = false;
  private dirSynced = true;
  /** fdatasync calls completed, for tests and the log. */
  syncs = 0;
  /** Rows appended, for tests and the log. */
  appendedRows = 0;

  constructor(
    readonly dir: string,
    private readonly segmentBytes = SEGMENT_BYTES,
  ) {}

  /** The oldest segment, no longer appended to, with rows on disk only: replay it next. */
  nextReplay(): SpoolSegment | null {
    return this.segments.find((s) => s.needsReplay && s !== this.active) ?? null;
  }

  /** The segment appended to now holds rows that are on disk only. */
  get activeNeedsReplay(): boolean {
    return this.active?.needsReplay ?? false;
  }

  get files(): readonly SpoolSegment[] {
    return this.segments;
  }

  /** Adopts the segments left by processes that are gone (a crash, or a stop with the database down). */
  adoptLeftovers(): SpoolSegment[] {
    this.ensureDir();
    const adopted: SpoolSegment[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      const match = SEGMENT_NAME.exec(name);
      if (!match || aliveOther(Number(match[1])) || this.segments.some((s) => s.name === name)) continue;
      const segment = new SpoolSegment(join(this.dir, name), name);
      segment.needsReplay = true;
      adopted.push(segment);
    }
    this.segments.unshift(...adopted);
    return adopted;
  }

  /**
   * Appends rows as one write; `diskOnly`: nobody keeps them in memory, so the segment must be
   * replayed. Throws when the write fails; the segment is then closed (its torn tail is ignored
   * by a replay) and the next append starts a new one.
   */
  append(rows: readonly SpooledRow[], diskOnly: boolean): SpoolSegment {
    if (!this.active || this.active.bytes >= this.segmentBytes) this.rotate();
    const segment = this.active as SpoolSegment;
    const buffer = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    try {
      writeAll(segment.fd as number, buffer);
    } catch (err) {
      // What was written of this batch is a torn line at most; keep the file for a replay
      // of its complete lines, and never append after a failed write.
      segment.needsReplay = true;
      this.closeActive();
      throw err;
    }
    segment.bytes += buffer.length;
    this.appendedRows += rows.length;
    if (diskOnly) segment.needsReplay = true;
    else segment.pending += rows.length;
    this.requestSync(segment);
    return segment;
  }

  /** Rows of `segment` the database has stored. */
  committed(segment: SpoolSegment, rows: number): void {
    segment.pending = Math.max(0, segment.pending - rows);
    this.collect(segment);
  }

  /** Memory lets go of every waiting row: each segment that still had some must be replayed. */
  spillAll(): void {
    for (const segment of this.segments) {
      if (segment.pending > 0) segment.needsReplay = true;
      segment.pending = 0;
    }
  }

  /** Reads a closed segment for a replay. */
  async read(segment: SpoolSegment): Promise<SegmentContents> {
    const text = await readFile(segment.path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const lines = text.split('\n');
    // After the last newline: '' for a complete file, the cut-off rest of a line otherwise.
    const tail = lines.pop() ?? '';
    const rows: SpooledRow[] = [];
    let badLines = 0;
    for (const line of lines) {
      if (line === '') continue;
      try {
        const row = JSON.parse(line) as SpooledRow;
        if (typeof row.uid === 'string' && typeof row.createdAt === 'number') rows.push(row);
        else badLines += 1;
      } catch {
        badLines += 1;
      }
    }
    return { rows, badLines, tornTail: tail !== '' };
  }

  /** Every row of a replayed segment is stored: the file goes. */
  replayed(segment: SpoolSegment): void {
    segment.needsReplay = false;
    this.collect(segment);
  }

  /** Closes the segment appended to now; the next append starts a new one. */
  rotate(): void {
    this.closeActive();
    this.ensureDir();
    const name = `usage-${this.instance}-${(this.seq++).toString(36).padStart(4, '0')}.jsonl`;
    const segment = new SpoolSegment(join(this.dir, name), name);
    segment.fd = openSync(segment.path, 'a');
    this.dirSynced = false;
    this.segments.push(segment);
    this.active = segment;
  }

  /** Resolves when everything appended so far has been fdatasync'ed. */
  sync(): Promise<void> {
    const waiting = this.segments.filter((s) => s.syncing || s.dirty);
    return Promise.all(waiting.map((s) => new Promise<void>((resolve) => s.syncWaiters.push(resolve)))).then(() => undefined);
  }

  /** Syncs and closes the active segment; files with nothing waiting are deleted. */
  async close(): Promise<void> {
    this.closeActive();
    await this.sync();
    for (const segment of [...this.segments]) this.collect(segment);
  }

  private closeActive(): void {
    const segment = this.active;
    if (!segment) return;
    this.active = null;
    if (segment.syncing || segment.dirty) segment.closeAfterSync = true;
    else this.closeFd(segment);
    this.collect(segment);
  }

  private closeFd(segment: SpoolSegment): void {
    if (segment.fd === null) return;
    closeSync(segment.fd);
    segment.fd = null;
  }

  /** A closed segment with nothing waiting (in memory or on disk only) is deleted. */
  private collect(segment: SpoolSegment): void {
    if (segment === this.active || segment.pending > 0 || segment.needsReplay || segment.syncing || segment.dirty) return;
    this.closeFd(segment);
    const index = this.segments.indexOf(segment);
    if (index >= 0) this.segments.splice(index, 1);
    try {
      unlinkSync(segment.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private requestSync(segment: SpoolSegment): void {
    segment.dirty = true;
    if (!segment.syncing) this.runSync(segment);
  }

  /** One fdatasync at a time per segment; appends made meanwhile wait for the next one. */
  private runSync(segment: SpoolSegment): void {
    if (segment.fd === null) return;
    segment.syncing = true;
    segment.dirty = false;
    const waiters = segment.syncWaiters;
    segment.syncWaiters = [];
    const syncDir = !this.dirSynced;
    this.dirSynced = true;
    fdatasync(segment.fd, () => {
      // A failed fsync leaves the data in the page cache: a process crash keeps it, only an
      // OS crash could lose it. Nothing better to do than go on.
      this.syncs += 1;
      const finish = () => {
        segment.syncing = false;
        for (const resolve of waiters) resolve();
        // Appended while this sync ran: one more covers it (and whoever waits for it).
        if (segment.dirty) {
          this.runSync(segment);
          return;
        }
        // Nothing appended meanwhile: this sync covered what later waiters wait for too.
        for (const resolve of segment.syncWaiters.splice(0)) resolve();
        if (segment.closeAfterSync) this.closeFd(segment);
        this.collect(segment);
      };
      if (syncDir) this.syncDirectory(finish);
      else finish();
    });
  }

  /** A new file's directory entry is durable only once the directory itself is synced. */
  private syncDirectory(done: () => void): void {
    let fd: number;
    try {
      fd = openSync(this.dir, 'r');
    } catch {
      done();
      return;
    }
    fsync(fd, () => {
      closeSync(fd);
      done();
    });
  }

  private ensureDir(): void {
    if (this.dirReady) return;
    mkdirSync(this.dir, { recursive: true });
    this.dirReady = true;
  }
}
