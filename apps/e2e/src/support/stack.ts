import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { DashboardClient } from './dashboard-client';
import { RunningServer, startServer, TestConfigDir, writeTestConfig } from './servers';
import { UsageDb } from './usage-db';

/** Both built servers on one temp SQLite file, an admin signed in, and a reader of usage rows. */
export interface Stack {
  db: TestDatabase;
  dir: TestConfigDir;
  proxy: RunningServer;
  dashboard: RunningServer;
  admin: DashboardClient;
  usage: UsageDb;
  stop(): Promise<void>;
}

export async function startStack(config: Record<string, unknown> = {}, models?: Record<string, unknown>, proxyEnv: NodeJS.ProcessEnv = {}): Promise<Stack> {
  const db = tempSqliteDatabase();
  const dir = writeTestConfig({ database: { url: db.url }, ...config }, models);
  const [proxy, dashboard] = await Promise.all([startServer('proxy-api', dir.configPath, proxyEnv), startServer('dashboard-api', dir.configPath)]);
  const admin = new DashboardClient(dashboard.url);
  await admin.signUp('admin', 'correct horse battery', true);
  const usage = new UsageDb(db.target.type === 'sqlite' ? db.target.path : '');
  return {
    db,
    dir,
    proxy,
    dashboard,
    admin,
    usage,
    stop: async () => {
      usage.close();
      await Promise.all([proxy.stop(), dashboard.stop()]);
      await db.drop();
      dir.cleanup();
    },
  };
}
