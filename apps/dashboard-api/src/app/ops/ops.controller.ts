import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { checkReadiness } from '@lmarena-bridge/database';
import { answerScrape } from '@lmarena-bridge/server';
import { Controller, Get, HttpCode, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../common/decorators';
import { DashboardMetrics } from './dashboard-metrics.service';

@ApiTags('status')
@Controller()
export class OpsController {
  constructor(
    private readonly metrics: DashboardMetrics,
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Liveness: the process answers HTTP; no database on purpose. */
  @Get('healthz')
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Public()
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied' })
  @ApiOkResponse({ schema: { example: { status: 'ready', database: 'ok', migrations: 'ok' } } })
  @ApiResponse({
    status: 503,
    description: 'Not ready, with what failed',
    schema: { example: { status: 'not_ready', database: 'down', migrations: 'unknown', detail: 'database: ECONNREFUSED' } },
  })
  async ready(@Res() res: Response): Promise<void> {
    const { ready, ...parts } = await checkReadiness(this.dataSource);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', ...parts });
  }

  @Get('metrics')
  @Public()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Prometheus metrics (text format)', description: 'With metrics.token set, send "Authorization: Bearer <token>".' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'lmb_dashboard_* metrics and the default process metrics' })
  @ApiResponse({ status: 401, description: 'metrics.token is set and the request does not carry it' })
  scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    return answerScrape(this.metrics.registry, this.config.metrics.token, req, res, {
      statusCode: 401,
      message: 'This endpoint needs the metrics token.',
      error: 'Unauthorized',
    });
  }
}
