import { loadConfigOrExit } from '@lmarena-bridge/config';
import { listen, setupSwagger } from '@lmarena-bridge/server';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app/app.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  setupSwagger(app, {
    title: 'LMArena Bridge proxy',
    description: 'OpenAI-compatible chat completions with dashboard tokens.',
    bearer: true,
  });
  await listen(app, 'proxy-api', config.proxy.host, config.proxy.port);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`proxy-api failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
