import { TokensService, UserEntity } from '@lmarena-bridge/auth';
import type { CreatedToken, TokenList } from '@lmarena-bridge/contracts';
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { auditActor } from '../common/audit-actor';
import type { AuthedRequest } from '../common/authed-request';
import { CurrentUser } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { RouteId } from '../common/parse-id.pipe';
import { CreateTokenDto } from './dto/create-token.dto';
import { CreatedTokenDto, TokenListDto } from './dto/token.dto';

const DAY_MS = 86_400_000;

@ApiTags('tokens')
@ApiCookieAuth('session')
@ApiUnauthorizedResponse({ type: ErrorDto })
@Controller('api/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @ApiOperation({ summary: 'Your tokens (never their secrets)' })
  @ApiOkResponse({ type: TokenListDto })
  async list(@CurrentUser() user: UserEntity): Promise<TokenList> {
    return { tokens: await this.tokens.listForUser(user.id) };
  }

  @Post()
  @ApiOperation({ summary: 'Create a token; the answer holds the secret, shown this once' })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'bad name, past expiry, or both expiry fields' })
  create(@CurrentUser() user: UserEntity, @Body() body: CreateTokenDto, @Req() req: AuthedRequest): Promise<CreatedToken> {
    if (body.expires_at !== undefined && body.expires_in_days !== undefined) {
      throw new BadRequestException(['give expires_at or expires_in_days, not both']);
    }
    const now = new Date();
    const expiresAt =
      body.expires_at !== undefined
        ? new Date(body.expires_at)
        : body.expires_in_days !== undefined
          ? new Date(now.getTime() + body.expires_in_days * DAY_MS)
          : null;
    return this.tokens.create(user.id, { name: body.name, expiresAt }, now, auditActor(req));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: Number, description: 'a whole number from 1 to 2147483647' })
  @ApiOperation({ summary: 'Revoke a token (admins: any token); the proxy refuses it within 1 s' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ type: ErrorDto, description: 'the id is not an integer from 1 to 2147483647' })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such token, or not yours' })
  async revoke(@CurrentUser() user: UserEntity, @RouteId('id') id: number, @Req() req: AuthedRequest): Promise<void> {
    await this.tokens.revoke(id, { id: user.id, role: user.role }, auditActor(req));
  }
}
