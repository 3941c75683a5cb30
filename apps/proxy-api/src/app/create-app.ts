import { AppConfig } from '@lmarena-bridge/config';
import { setupSwagger } from '@lmarena-bridge/server';
import { NestFactory } from '@nestjs/core';
import type bodyParser from 'body-parser';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { chatBodyParserOptions, installChatFrontDoor } from './chat/chat-front-door';
import { bodyParserError } from './errors/body-parser-error';
import { installRequestObserver } from './ops/request-observer';

/** The proxy application, initialised but not listening (main.ts listens; tests use supertest). */
export async function createProxyApp(config: AppConfig, opts: { logStream?: NodeJS.WritableStream } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, opts.logStream), { bufferLogs: true, bodyParser: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.disable('x-powered-by');
  app.disable('etag');
  app.useBodyParser<bodyParser.OptionsJson>('json', chatBodyParserOptions(config));
  // Name body-parser failures before Nest's router turns them into a generic 400.
  app.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => next(bodyParserError(err, config.proxy.max_body_bytes)));
  if (!config.use_dashboard_tokens && config.api_key === '') {
    logger.warn('use_dashboard_tokens is false and api_key is empty: the proxy accepts requests WITHOUT authentication', 'ProxyAuth');
  }
  setupSwagger(app, {
    title: 'LMArena Bridge proxy',
    description: 'OpenAI-compatible chat completions. Authenticate with "Authorization: Bearer sk-lmarena-…".',
    bearer: true,
  });
  await app.init();
  installChatFrontDoor(app, config);
  installRequestObserver(app);
  return app;
}
