import type { DashboardStatus } from '@lmarena-bridge/contracts';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators';
import { StatusService } from './status.service';

@ApiTags('status')
@Controller('api/status')
export class StatusController {
  constructor(private readonly statusService: StatusService) {}

  @Get()
  @Public()
  @ApiOkResponse({
    description: 'Measured on each call: a real database round trip and a GET /healthz of the proxy.',
    schema: {
      example: {
        status: 'ok',
        database: 'ok',
        database_latency_ms: 0.12,
        proxy: 'ok',
        proxy_latency_ms: 0.8,
        database_type: 'sqlite',
        bridge: { browsers: 1, models: 120 },
        uptime_s: 42,
        version: '0.1.0',
      },
    },
  })
  status(): Promise<DashboardStatus> {
    return this.statusService.status();
  }
}
