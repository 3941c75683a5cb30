import { Controller, Get, HttpException, INestApplication, Logger } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HttpExceptionFilter } from './http-exception.filter';

@Controller('t')
class ThrowingController {
  @Get('http')
  http(): never {
    throw new HttpException('plain message', 418);
  }

  @Get('body-parser')
  bodyParser(): never {
    // What body-parser raises (http-errors): no HttpException, status and expose set.
    throw Object.assign(new Error('unsupported charset "LATIN1"'), { status: 415, statusCode: 415, expose: true, type: 'charset.unsupported' });
  }

  @Get('database-down')
  databaseDown(): never {
    // What node-postgres's pool throws when no connection can be had in time.
    throw new Error('timeout exceeded when trying to connect');
  }

  @Get('crash')
  crash(): never {
    throw new Error('secret detail');
  }
}

describe('HttpExceptionFilter', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [ThrowingController],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(() => app?.close());

  it('adds the missing error field to a plain HttpException', async () => {
    const res = await request(app.getHttpServer()).get('/t/http').expect(418);
    expect(res.body).toEqual({ statusCode: 418, error: "I'm a Teapot", message: 'plain message' });
  });

  it("answers body-parser's client errors in the documented shape", async () => {
    const res = await request(app.getHttpServer()).get('/t/body-parser').expect(415);
    expect(res.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: 'unsupported charset "LATIN1"' });
  });

  it('answers a database that cannot be reached 503 in the documented shape, never 500', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const res = await request(app.getHttpServer()).get('/t/database-down').expect(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable at the moment; try again shortly.' });
    expect(logged).not.toHaveBeenCalled();
    logged.mockRestore();
    warned.mockRestore();
  });

  it("leaves other errors to Nest's default: 500 without details", async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const res = await request(app.getHttpServer()).get('/t/crash').expect(500);
    expect(res.body).toEqual({ statusCode: 500, message: 'Internal server error' });
    logged.mockRestore();
  });
});
