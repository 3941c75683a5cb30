import { CanActivate, Controller, ExecutionContext, Get, INestApplication, Injectable, NotFoundException, Post, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NextFunction, Request, Response } from 'express';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { UsageRecorder } from './recorder/usage-recorder.service';
import { UsageRow } from './recorder/usage-row';
import { requestUsage, setUsageOwner } from './request-usage';
import { CLIENT_CLOSED_REQUEST, UsageInterceptor } from './usage.interceptor';

const OWNER = { tokenId: 7, userId: 3 };

/** Stands in for the recorder: keeps the rows (record() never waits, so nothing else is needed). */
class FakeRecorder {
  rows: UsageRow[] = [];

  record(row: UsageRow): void {
    this.rows.push(row);
  }
}

/** What the bearer guard does for a dashboard token: here, when the test sends `x-owner`. */
@Injectable()
class OwnerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.headers['x-owner'] === 'yes') setUsageOwner(req, OWNER);
    return true;
  }
}

/** Signals when the handler of the slow stream has started, and counts handler calls. */
const events = {
  handled: 0,
  streamStarted: null as null | (() => void),
};

@Controller('v1')
@UseGuards(OwnerGuard)
@UseInterceptors(UsageInterceptor)
class ChatLikeController {
  @Post('chat/completions')
  complete(@Res({ passthrough: true }) res: Response) {
    events.handled += 1;
    Object.assign(requestUsage(res), { model: 'echo', promptTokens: 4, completionTokens: 9 });
    return { ok: true };
  }

  @Get('missing')
  missing(@Res({ passthrough: true }) res: Response) {
    requestUsage(res).model = 'nope';
    throw new NotFoundException('no such thing');
  }

  /** A stream that failed after it started: HTTP 200, recorded with the error's status. */
  @Get('failed-stream')
  failedStream(@Res() res: Response) {
    Object.assign(requestUsage(res), { model: 'gpt-x', stream: true, statusCode: 502, errorMessage: 'upstream reset' });
    res.status(200).setHeader('content-type', 'text/event-stream');
    res.end('data: {"error":{}}\n\ndata: [DONE]\n\n');
  }

  /** A stream that never ends on its own: one event, then it waits for the client to leave. */
  @Get('slow-stream')
  slowStream(@Res() res: Response) {
    Object.assign(requestUsage(res), { model: 'echo', stream: true, ttftMs: 3 });
    res.status(200).setHeader('content-type', 'text/event-stream');
    res.write('data: {"choices":[]}\n\n');
    events.streamStarted?.();
  }
}

describe('UsageInterceptor', () => {
  let app: INestApplication;
  let recorder: FakeRecorder;
  let baseUrl: string;
  /** Resolvers waiting for the server side of a response to close. */
  let closed = 0;
  let closeWaiters: Array<{ count: number; resolve: () => void }> = [];

  /**
   * Resolves once `count` responses have closed on the server. This listener is attached
   * before the interceptor's, and both run in the same 'close' emit, so by then the
   * interceptor has recorded (or not) that response.
   */
  const responsesClosed = (count: number) =>
    new Promise<void>((resolve) => {
      closeWaiters.push({ count, resolve });
      notify();
    });
  const notify = () => {
    closeWaiters = closeWaiters.filter((w) => (closed >= w.count ? (w.resolve(), false) : true));
  };

  beforeAll(async () => {
    recorder = new FakeRecorder();
    const moduleRef = await Test.createTestingModule({
      controllers: [ChatLikeController],
      providers: [UsageInterceptor, OwnerGuard, { provide: UsageRecorder, useValue: recorder }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.use((_req: Request, res: Response, next: NextFunction) => {
      res.once('close', () => setImmediate(() => {
        closed += 1;
        notify();
      }));
      next();
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  beforeEach(() => {
    recorder.rows = [];
    events.handled = 0;
  });

  /** Sends one request and waits until the server has finished with it. */
  async function send(req: () => request.Test): Promise<request.Response> {
    const before = closed;
    const res = await req();
    await responsesClosed(before + 1);
    return res;
  }

  it('records nothing for a request without a usage owner (shared api_key, open proxy)', async () => {
    const res = await send(() => request(baseUrl).post('/v1/chat/completions').send({}));
    expect(res.status).toBe(201);
    expect(events.handled).toBe(1);
    expect(recorder.rows).toEqual([]);
  });

  it('records one row for a dashboard token: status, endpoint, what the handler noted, the time taken', async () => {
    const before = Date.now();
    const res = await send(() => request(baseUrl).post('/v1/chat/completions').set('x-owner', 'yes').send({}));
    expect(res.status).toBe(201);
    expect(recorder.rows).toEqual([{
      createdAt: expect.any(Number),
      userId: OWNER.userId,
      tokenId: OWNER.tokenId,
      model: 'echo',
      endpoint: '/v1/chat/completions',
      stream: false,
      statusCode: 201,
      responseTimeMs: expect.any(Number),
      ttftMs: null,
      promptTokens: 4,
      completionTokens: 9,
      errorMessage: null,
    }]);
    const [row] = recorder.rows;
    expect(row.createdAt).toBeGreaterThanOrEqual(before);
    expect(row.createdAt).toBeLessThanOrEqual(Date.now());
    expect(Number.isInteger(row.responseTimeMs)).toBe(true);
    expect(row.responseTimeMs).toBeGreaterThanOrEqual(1);
  });

  it('records an HttpException answer with its status', async () => {
    const res = await send(() => request(baseUrl).get('/v1/missing').set('x-owner', 'yes'));
    expect(res.status).toBe(404);
    expect(recorder.rows).toEqual([expect.objectContaining({ statusCode: 404, endpoint: '/v1/missing', model: 'nope', ...OWNER })]);
  });

  it('records the error status of a stream that failed after its 200 was sent', async () => {
    const res = await send(() => request(baseUrl).get('/v1/failed-stream').set('x-owner', 'yes'));
    expect(res.status).toBe(200);
    expect(recorder.rows).toEqual([expect.objectContaining({ statusCode: 502, stream: true, model: 'gpt-x', errorMessage: 'upstream reset' })]);
  });

  it(`records ${CLIENT_CLOSED_REQUEST} when the client goes away in the middle of a stream`, async () => {
    const started = new Promise<void>((resolve) => (events.streamStarted = resolve));
    const before = closed;
    const req = httpRequest(`${baseUrl}/v1/slow-stream`, { headers: { 'x-owner': 'yes' } });
    req.on('error', () => undefined); // the socket is destroyed on purpose
    req.end();
    const [res] = (await once(req, 'response')) as [NodeJS.ReadableStream];
    await Promise.all([started, once(res, 'data')]);

    req.destroy();
    await responsesClosed(before + 1);

    expect(recorder.rows).toEqual([expect.objectContaining({
      statusCode: CLIENT_CLOSED_REQUEST,
      stream: true,
      ttftMs: 3,
      endpoint: '/v1/slow-stream',
      errorMessage: 'client closed the connection before the answer ended',
    })]);
  });
});
