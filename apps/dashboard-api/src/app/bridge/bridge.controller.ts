import type { UserEntity } from '@lmarena-bridge/auth';
import type { BridgeState } from '@lmarena-bridge/contracts';
import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { auditActor } from '../common/audit-actor';
import { CurrentUser, Roles } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { RouteId } from '../common/parse-id.pipe';
import { BridgeDashboardService } from './bridge.service';
import { BridgeStateDto } from './dto/bridge-state.dto';
import { CreateUserscriptDto } from './dto/create-userscript.dto';
import { USERSCRIPT_FILENAME } from './userscript-file';

@ApiTags('bridge')
@ApiCookieAuth('session')
@ApiUnauthorizedResponse({ type: ErrorDto })
@ApiForbiddenResponse({ type: ErrorDto, description: 'not an admin' })
@Roles('admin')
@Controller('api/bridge')
export class BridgeController {
  constructor(private readonly bridge: BridgeDashboardService) {}

  @Get()
  @ApiOperation({ summary: 'Connected browsers, bridge keys and the models the userscripts reported' })
  @ApiOkResponse({ type: BridgeStateDto })
  state(): Promise<BridgeState> {
    return this.bridge.state();
  }

  @Post('userscript')
  @ApiOperation({ summary: 'A new bridge key, answered as the userscript to install (the only time the key is visible)' })
  @ApiProduces('text/javascript')
  @ApiCreatedResponse({ description: `${USERSCRIPT_FILENAME}, with the proxy WebSocket URL and the new key filled in`, schema: { type: 'string' } })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'bad name' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'the userscript is not built; no key was made' })
  async userscript(
    @CurrentUser() user: UserEntity,
    @Body() body: CreateUserscriptDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const script = await this.bridge.createUserscript(body.name, { ...auditActor(req), id: user.id });
    // The answer holds a secret: never cached, by the browser or anything in between.
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(Buffer.from(script, 'utf8'), {
      type: 'text/javascript; charset=utf-8',
      disposition: `attachment; filename="${USERSCRIPT_FILENAME}"`,
    });
  }

  @Delete('keys/:id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: Number, description: 'a whole number from 1 to 2147483647' })
  @ApiOperation({ summary: 'Revoke a bridge key; proxies drop its browsers at their next auth epoch check (within 1 s)' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ type: ErrorDto, description: 'the id is not an integer from 1 to 2147483647' })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such key, or already revoked' })
  revoke(@RouteId('id') id: number, @Req() req: Request): Promise<void> {
    return this.bridge.revokeKey(id, auditActor(req));
  }
}
