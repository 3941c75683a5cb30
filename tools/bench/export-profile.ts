import { tempSqliteDatabase, tempPostgresDatabase } from '@lmarena-bridge/database/testing';
import { UsageExportService, UsageLogService } from '@lmarena-bridge/usage';
import { openSeedDatabase, seedUsage } from '../seed/seed-usage';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const db = process.argv[3] === 'pg' ? await tempPostgresDatabase(process.env['TEST_DATABASE_URL'] as string) : tempSqliteDatabase();
  const ds = await openSeedDatabase(db.url);
  try {
    const seed = await seedUsage(ds, { rows, days: 30, tokens: 10, models: 5, seed: 1 });
    console.log(`seeded ${rows} in ${seed.seconds.toFixed(1)} s`);
    const logs = new UsageLogService(ds);
    const service = new UsageExportService(logs);
    for (let run = 0; run < 3; run++) {
      let t = performance.now();
      let n = 0;
      for await (const page of logs.pages({ days: 30 }, { userId: seed.userId })) n += page.length;
      const pagesMs = performance.now() - t;
      t = performance.now();
      for await (const page of logs.pages({ days: 30 }, { userId: seed.userId }, Date.now(), 5000)) n += page.length;
      console.log(`pages of 5000: ${(performance.now() - t).toFixed(0)} ms`);
      t = performance.now();
      for await (const page of logs.pages({ days: 30 }, { userId: seed.userId }, Date.now(), 200)) n += page.length;
      console.log(`pages of 200: ${(performance.now() - t).toFixed(0)} ms`);
      t = performance.now();
      let bytes = 0;
      const file = await service.open({ days: 30 }, { userId: seed.userId }, 'csv');
      for await (const chunk of file.stream) bytes += (chunk as Buffer).length;
      const ms = performance.now() - t;
      console.log(`pages only: ${n} rows ${pagesMs.toFixed(0)} ms; export: ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms = ${(bytes / 1e3 / ms).toFixed(1)} MB/s`);
    }
  } finally {
    await ds.destroy();
    await db.drop();
  }
}
void main();
