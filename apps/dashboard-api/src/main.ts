import { loadConfigOrExit } from '@lmarena-bridge/config';
import { listen } from '@lmarena-bridge/server';
import { createDashboardApp } from './app/create-app';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createDashboardApp(config);
  await listen(app, 'dashboard-api', config.dashboard.host, config.dashboard.port);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`dashboard-api failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
