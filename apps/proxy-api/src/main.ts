import { loadConfigOrExit } from '@lmarena-bridge/config';
import { listen } from '@lmarena-bridge/server';
import { createProxyApp } from './app/create-app';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createProxyApp(config);
  await listen(app, 'proxy-api', config.proxy.host, config.proxy.port);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`proxy-api failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
