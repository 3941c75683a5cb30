import { AppConfig, ConfigModule } from '@lmarena-bridge/config';
import { databaseOutage } from '@lmarena-bridge/database';
import { Controller, Get, INestApplication, Logger } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { OpenAiExceptionFilter } from './openai-exception.filter';

@Controller('t')
class DatabaseController {
  @Get('refused')
  refused(): never {
    // What TypeORM throws when PostgreSQL refuses the connection.
    throw Object.assign(new Error('query failed'), { driverError: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) });
  }

  @Get('timeout')
  timeout(): never {
    throw new Error('Query read timeout');
  }
}

describe('OpenAiExceptionFilter with the database unavailable', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ proxy: { max_body_bytes: 1024 } } as unknown as AppConfig)],
      controllers: [DatabaseController],
      providers: [{ provide: APP_FILTER, useClass: OpenAiExceptionFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(() => app?.close());

  it('answers 503 service_unavailable with Retry-After, never 500, and logs the outage once, without a stack', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const warned = jest.spyOn((databaseOutage as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn').mockImplementation(() => undefined);
    databaseOutage.recovered();
    for (const path of ['/t/refused', '/t/timeout', '/t/refused']) {
      const res = await request(app.getHttpServer()).get(path).expect(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toEqual({
        error: { message: 'The database is unavailable at the moment; try again shortly.', type: 'server_error', param: null, code: 'service_unavailable' },
      });
    }
    expect(errors).not.toHaveBeenCalled();
    expect(warned).toHaveBeenCalledTimes(1);
    expect(warned.mock.calls[0][0]).toMatch(/^database unavailable \(GET \/t\/refused\): query failed$/);
    databaseOutage.recovered();
    errors.mockRestore();
    warned.mockRestore();
  });
});
