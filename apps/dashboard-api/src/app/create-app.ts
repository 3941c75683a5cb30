import { AppConfig } from '@lmarena-bridge/config';
import { setupSwagger } from '@lmarena-bridge/server';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { requestRules } from './common/request-rules';
import { DashboardMetrics } from './ops/dashboard-metrics.service';
import { securityHeaders } from './security-headers';
import { serveSpa } from './spa/serve-spa';

/**
 * The dashboard application, configured but not listening: main.ts listens, integration
 * tests drive it with supertest.
 */
export async function createDashboardApp(config: AppConfig, opts: { logStream?: NodeJS.WritableStream } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, opts.logStream), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Counted first, so refusals of the rules below are in the metrics too.
  app.use(app.get(DashboardMetrics).middleware());
  // The client address of throttles and audit: the socket peer unless proxies are trusted.
  if (config.dashboard.trust_proxy_hops > 0) app.set('trust proxy', config.dashboard.trust_proxy_hops);
  // Security headers first: the refusals of the request rules carry them too.
  app.use(securityHeaders());
  app.use(requestRules(config.dashboard));
  app.use(cookieParser());
  app.useBodyParser('json', { limit: '100kb' });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  setupSwagger(app, {
    title: 'LMArena Bridge dashboard API',
    description: 'Accounts, sessions, API tokens and usage analytics. Sign in with POST /api/auth/login; the session cookie does the rest.',
    cookie: 'session',
  });
  serveSpa(app, app.get(Logger));
  return app;
}
