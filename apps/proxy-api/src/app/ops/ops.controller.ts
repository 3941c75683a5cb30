import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { checkReadiness } from '@lmarena-bridge/database';
import { answerScrape } from '@lmarena-bridge/server';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { ProxyError } from '../errors/proxy-error';
import { endJson } from '../http/end-json';
import { ProxyMetrics } from './proxy-metrics.service';

export const READY_EXAMPLE = { status: 'ready', database: 'ok', migrations: 'ok' };
export const NOT_READY_EXAMPLE = { status: 'not_ready', database: 'down', migrations: 'unknown', detail: 'database: ECONNREFUSED' };

@ApiTags('health')
@Controller()
export class OpsController {
  constructor(
    private readonly metrics: ProxyMetrics,
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Readiness, for load balancers and orchestrators; /healthz stays liveness only. */
  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied' })
  @ApiOkResponse({ schema: { example: READY_EXAMPLE } })
  @ApiResponse({ status: 503, description: 'Not ready, with what failed', schema: { example: NOT_READY_EXAMPLE } })
  async ready(@Res() res: ServerResponse): Promise<void> {
    const r = await checkReadiness(this.dataSource);
    const { ready, ...parts } = r;
    endJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', ...parts });
  }

  @Get('metrics')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Prometheus metrics (text format)', description: 'With metrics.token set, send "Authorization: Bearer <token>".' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'lmb_proxy_* metrics and the default process metrics' })
  @ApiResponse({ status: 401, description: 'metrics.token is set and the request does not carry it' })
  scrape(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return answerScrape(this.metrics.registry, this.config.metrics.token, req, res, ProxyError.unauthorized('This endpoint needs the metrics token.').body());
  }
}
