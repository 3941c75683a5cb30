import { AppConfig } from '@lmarena-bridge/config';
import { setupSwagger } from '@lmarena-bridge/server';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { BridgeGateway } from './bridge/bridge-gateway';
import { BridgeHub } from './bridge/bridge-hub.service';
import { ProxyMetrics } from './ops/proxy-metrics.service';
import { installFrontDoor } from './pipeline/front-door';
import { ProxyPipeline } from './pipeline/proxy-pipeline';
import { installRequestIds } from './ops/request-ids';

/** The proxy application, initialised but not listening (main.ts listens; tests use supertest). */
export async function createProxyApp(config: AppConfig, opts: { logStream?: NodeJS.WritableStream } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, opts.logStream), { bufferLogs: true, bodyParser: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.disable('x-powered-by');
  app.disable('etag');
  // No body parser in front of the routes: the pipeline reads a body only once the request is
  // authenticated (a refused upload is never buffered), and no other route takes a body.
  if (!config.use_dashboard_tokens && config.api_key === '') {
    logger.warn('use_dashboard_tokens is false and api_key is empty: the proxy accepts requests WITHOUT authentication', 'ProxyAuth');
  }
  setupSwagger(app, {
    title: 'LMArena Bridge proxy',
    description:
      'OpenAI-compatible chat completions, embeddings, completions and Responses, and the Anthropic Messages API. ' +
      'Authenticate with "Authorization: Bearer sk-lmarena-…" (on /v1/messages also "x-api-key: sk-lmarena-…"). GET /v1/models needs no token.',
    bearer: true,
    apiKeyHeader: 'x-api-key',
  });
  await app.init();
  installFrontDoor(app.getHttpServer() as Server, app.get(ProxyPipeline));
  // The LMArena userscripts connect to /ws on this same server and port.
  app.get(BridgeGateway).attach(app.getHttpServer());
  const hub = app.get(BridgeHub);
  app.get(ProxyMetrics).reportBridgeBrowsers(() => hub.size);
  installRequestIds(app.getHttpServer() as Server);
  return app;
}
