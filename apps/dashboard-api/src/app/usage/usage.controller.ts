import type { UserEntity } from '@lmarena-bridge/auth';
import type { UsageLogPage, UsageSummary } from '@lmarena-bridge/contracts';
import { parseLogStatusFilter, UsageExportService, UsageLogFilter, UsageLogService, UsageScope, UsageSummaryService } from '@lmarena-bridge/usage';
import { Controller, ForbiddenException, Get, Logger, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { CurrentUser } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { ExportQueryDto, LogFilterQueryDto, LogsQueryDto, ScopeParam, SummaryQueryDto } from './dto/usage-query.dto';
import { UsageLogPageDto, UsageSummaryDto } from './dto/usage.dto';

/** Ordinary users read the rows of their own tokens; `scope=all` (everyone's) is for admins. */
function scopeOf(user: UserEntity, scope: ScopeParam | undefined): UsageScope {
  if (scope !== 'all') return { userId: user.id };
  if (user.role !== 'admin') throw new ForbiddenException('scope=all needs an admin account.');
  return 'all';
}

function filterOf(query: LogFilterQueryDto, days: number | undefined): UsageLogFilter {
  return {
    model: query.model,
    endpoint: query.endpoint,
    tokenId: query.token_id,
    // The DTO has checked the form already.
    status: query.status === undefined ? undefined : (parseLogStatusFilter(query.status) ?? undefined),
    q: query.q,
    days,
  };
}

@ApiTags('usage')
@ApiCookieAuth('session')
@ApiUnauthorizedResponse({ type: ErrorDto })
@ApiBadRequestResponse({ type: ErrorDto, description: 'a query parameter out of range or of the wrong form' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'scope=all without an admin account' })
@Controller('api/usage')
export class UsageController {
  private readonly logger = new Logger(UsageController.name);

  constructor(
    private readonly summaries: UsageSummaryService,
    private readonly logs: UsageLogService,
    private readonly exports: UsageExportService,
  ) {}

  @Get('summary')
  @ApiOperation({ summary: 'Totals, rates, response-time percentiles and breakdowns for the last `days` UTC days (from the daily rollups)' })
  @ApiOkResponse({ type: UsageSummaryDto })
  summary(@CurrentUser() user: UserEntity, @Query() query: SummaryQueryDto): Promise<UsageSummary> {
    return this.summaries.summary(query.days, scopeOf(user, query.scope));
  }

  @Get('logs')
  @ApiOperation({ summary: 'The request log, newest first, a page at a time (keyset cursor: rows arriving meanwhile never repeat or shift pages)' })
  @ApiOkResponse({ type: UsageLogPageDto })
  page(@CurrentUser() user: UserEntity, @Query() query: LogsQueryDto): Promise<UsageLogPage> {
    return this.logs.page({ ...filterOf(query, query.days), limit: query.limit, cursor: query.cursor }, scopeOf(user, query.scope));
  }

  @Get('export')
  @ApiOperation({
    summary: 'The request log of the last `days` UTC days as a file download (newest first), streamed',
    description:
      'CSV (RFC 4180: header row, CRLF, fields with commas, quotes or line breaks quoted) or a JSON array of Log objects. ' +
      'File name usage-YYYY-MM-DD.csv|json (today, UTC). Same scope and filters as /api/usage/logs.',
  })
  @ApiProduces('text/csv', 'application/json')
  @ApiOkResponse({ description: 'the file', schema: { type: 'string', format: 'binary' } })
  async export(@CurrentUser() user: UserEntity, @Query() query: ExportQueryDto, @Res() res: Response): Promise<void> {
    const file = await this.exports.open(filterOf(query, query.days), scopeOf(user, query.scope), query.format);
    res.status(200);
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      // pipeline() honours back-pressure: the next page is read only when the client has taken the last.
      await pipeline(file.stream, res);
    } catch (err) {
      // The client went away (nothing to answer), or the database failed mid-download: the
      // response is cut short, so the client sees an incomplete transfer, never a short file.
      const message = `usage export ended early: ${err instanceof Error ? err.message : String(err)}`;
      if ((err as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE') this.logger.debug(message);
      else this.logger.error(message);
    }
  }
}
