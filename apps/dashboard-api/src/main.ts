import { loadConfigOrExit } from '@lmarena-bridge/config';
import { listen, setupSwagger } from '@lmarena-bridge/server';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app/app.module';
import { securityHeaders } from './app/security-headers';
import { serveSpa } from './app/spa/serve-spa';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use(securityHeaders());
  setupSwagger(app, {
    title: 'LMArena Bridge dashboard API',
    description: 'Accounts, sessions, API tokens and usage analytics.',
    cookie: 'session',
  });
  serveSpa(app, app.get(Logger));
  await listen(app, 'dashboard-api', config.dashboard.host, config.dashboard.port);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`dashboard-api failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
