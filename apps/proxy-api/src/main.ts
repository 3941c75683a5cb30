import { loadConfigOrExit } from '@lmarena-bridge/config';
import { listen } from '@lmarena-bridge/server';
import { BridgeGateway } from './app/bridge/bridge-gateway';
import { createProxyApp } from './app/create-app';
import { ProxyError } from './app/errors/proxy-error';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createProxyApp(config);
  // Requests Node's HTTP parser refuses are answered in the OpenAI error shape too.
  await listen(app, 'proxy-api', config.proxy.host, config.proxy.port, {
    errorBody: (status, message) => new ProxyError(status, 'invalid_request_error', 'invalid_request', message).body(),
    // Bridge requests in flight wait on their browsers: fail them (503) and close the sockets first.
    beforeDrain: () => app.get(BridgeGateway).onApplicationShutdown(),
  });
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`proxy-api failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
