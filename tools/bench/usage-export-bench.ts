/**
 * `TS_NODE_PROJECT=tools/bench/tsconfig.json ts-node --transpile-only -r tsconfig-paths/register tools/bench/usage-export-bench.ts
 *    [--rows N] [--database-url URL] [--runs R]`
 *
 * The CSV export in process, without HTTP: MB/s and time to first byte of
 * UsageExportService.open(days=30, csv) for the seeded user (on PostgreSQL: written by COPY),
 * the stream drained into a counting sink; and, as baselines in the same run, the export from
 * row arrays (UsageLogService.rowPages through usageExportRowChunks, SQLite's way) and as it
 * was before row arrays (Log entries from UsageLogService.pages() through usageExportChunks). With --database-url the database is reused if it already holds the rows
 * (seeded once by tools/seed's seedUsage otherwise); default: a temp SQLite file.
 */
import { tempSqliteDatabase } from '@lmarena-bridge/database/testing';
import { usageExportChunks, usageExportRowChunks, UsageExportService, UsageLogService } from '@lmarena-bridge/usage';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { openSeedDatabase, seedUsage } from '../seed/seed-usage';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, 'database-url': { type: 'string' }, runs: { type: 'string' } } });
  const rows = Number(values.rows ?? 1_000_000);
  const runs = Number(values.runs ?? 3);
  const temp = values['database-url'] ? null : tempSqliteDatabase();
  const ds = await openSeedDatabase(values['database-url'] ?? temp?.url ?? '');
  try {
    const [{ n }] = await ds.query<Array<{ n: number | string }>>('SELECT COUNT(*) AS n FROM usage_logs');
    if (Number(n) < rows) {
      const seeded = await seedUsage(ds, { rows, days: 30, tokens: 100, models: 20, seed: 1 });
      console.log(`seeded ${seeded.rows} rows in ${seeded.seconds.toFixed(0)} s`);
    }
    const logs = new UsageLogService(ds);
    const service = new UsageExportService(logs);
    const ways: Array<[string, () => Promise<Readable>]> = [
      ['entries (before)', async () => Readable.from(usageExportChunks(logs.pages({ days: 30 }, 'all'), 'csv'), { objectMode: false })],
      ['row arrays', async () => Readable.from(usageExportRowChunks(logs.rowPages({ days: 30 }, 'all'), 'csv'), { objectMode: false })],
      ['export', async () => (await service.open({ days: 30 }, 'all', 'csv')).stream],
    ];
    for (let run = 0; run < runs * ways.length; run++) {
      const [way, open] = ways[run % ways.length];
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      let first = 0;
      let bytes = 0;
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _encoding, done) {
          if (bytes === 0) first = Number(process.hrtime.bigint() - started) / 1e6;
          bytes += chunk.length;
          done();
        },
      });
      await pipeline(await open(), sink);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // On a shared machine the wall clock counts other processes' turns too; MB per CPU second is what an idle core would give.
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      console.log(
        `${way.padEnd(16)} run ${Math.floor(run / ways.length) + 1}: ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(bytes / 1e6 / seconds).toFixed(1)} MB/s (${(bytes / 1e6 / cpuSeconds).toFixed(1)} MB per CPU s), first byte ${first.toFixed(1)} ms`,
      );
    }
  } finally {
    await ds.destroy();
    await temp?.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
