import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aSpoolDir, aUsageRow } from '../../testing/usage-builders';
import { SpooledRow, UsageSpool } from './usage-spool';

let n = 0;
const rows = (count: number): SpooledRow[] => Array.from({ length: count }, () => ({ ...aUsageRow({ createdAt: 1_000 + n }), uid: `spool-spec-${n++}` }));
const files = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();

describe('UsageSpool', () => {
  it('appends rows as JSON lines, syncs them, and deletes a closed file once every row is committed', async () => {
    const dir = aSpoolDir();
    const spool = new UsageSpool(dir);
    const batch = rows(3);
    const segment = spool.append(batch, false);
    expect(segment.pending).toBe(3);
    expect(
      readFileSync(segment.path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as SpooledRow).uid),
    ).toEqual(batch.map((r) => r.uid));
    await spool.sync();
    expect(spool.syncs).toBe(1);

    spool.rotate(); // closed, but 3 rows still wait: kept
    expect(existsSync(segment.path)).toBe(true);
    spool.committed(segment, 3);
    await spool.sync();
    expect(existsSync(segment.path)).toBe(false);
    await spool.close();
    expect(files(dir)).toEqual([]);
  });

  it('coalesces fdatasync: appends made while one runs share the next, never one per row', async () => {
    const spool = new UsageSpool(aSpoolDir());
    for (let i = 0; i < 50; i++) spool.append(rows(10), false);
    await spool.sync();
    // The first append starts a sync; the other 49 come while it runs and share one more.
    expect(spool.syncs).toBeGreaterThanOrEqual(1);
    expect(spool.syncs).toBeLessThanOrEqual(2);
    expect(spool.appendedRows).toBe(500);
    await spool.close();
  });

  it('starts a new file past the segment size; a spilled (disk-only) file is kept until replayed', async () => {
    const dir = aSpoolDir();
    const spool = new UsageSpool(dir, 1_000);
    const first = spool.append(rows(5), false);
    const second = spool.append(rows(5), true); // first is over 1,000 bytes: a new file
    expect(second).not.toBe(first);
    expect(spool.activeNeedsReplay).toBe(true);
    expect(spool.nextReplay()).toBeNull(); // the active file is not replayed while appended to
    spool.spillAll();
    expect(first.needsReplay).toBe(true);
    expect(spool.nextReplay()).toBe(first);
    spool.rotate();
    const contents = await spool.read(first);
    expect(contents).toEqual({ rows: expect.any(Array), badLines: 0, tornTail: false });
    expect(contents.rows).toHaveLength(5);
    spool.replayed(first);
    expect(spool.nextReplay()).toBe(second);
    spool.replayed(second);
    await spool.close();
    expect(files(dir)).toEqual([]);
  });

  it('reads a file cut short by a crash: the torn last line and unreadable lines are skipped, the rest kept', async () => {
    const dir = aSpoolDir();
    const spool = new UsageSpool(dir);
    const batch = rows(4);
    const segment = spool.append(batch, true);
    await spool.close();
    const text = readFileSync(segment.path, 'utf8').split('\n');
    text[1] = '{"uid": not json';
    writeFileSync(segment.path, `${text.join('\n')}{"uid":"torn","createdA`);
    const contents = await spool.read(segment);
    expect(contents.rows.map((r) => r.uid)).toEqual([batch[0].uid, batch[2].uid, batch[3].uid]);
    expect(contents.badLines).toBe(1);
    expect(contents.tornTail).toBe(true);
  });

  it('adopts the files of processes that are gone (and its own pid from an earlier life), never those of a running one', async () => {
    const dir = aSpoolDir();
    // A pid that is certainly gone: a child that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const live = process.ppid; // the parent of this test process runs
    for (const pid of [gone, String(process.pid), String(live)]) writeFileSync(join(dir, `usage-${pid}-abc-0000.jsonl`), `${JSON.stringify(rows(1)[0])}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a segment');
    const spool = new UsageSpool(dir);
    const adopted = spool
      .adoptLeftovers()
      .map((s) => s.name)
      .sort();
    expect(adopted).toEqual([`usage-${gone}-abc-0000.jsonl`, `usage-${process.pid}-abc-0000.jsonl`].sort());
    expect(spool.adoptLeftovers()).toEqual([]); // not twice
  });
});
