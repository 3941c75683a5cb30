import { TokensService, UserEntity } from '@lmarena-bridge/auth';
import type { CreatedToken, Token, TokenList } from '@lmarena-bridge/contracts';
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Patch, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
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
import { CodedErrorDto, ErrorDto } from '../common/error.dto';
import { RouteId } from '../common/parse-id.pipe';
import { CreateTokenDto } from './dto/create-token.dto';
import { CreatedTokenDto, TokenDto, TokenListDto } from './dto/token.dto';
import { UpdateTokenDto } from './dto/update-token.dto';
import { TokenViews } from './token-views.service';

const DAY_MS = 86_400_000;

@ApiTags('tokens')
@ApiCookieAuth('session')
@ApiUnauthorizedResponse({ type: ErrorDto })
@Controller('api/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly views: TokenViews,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your tokens (never their secrets), with their limits and usage_now' })
  @ApiOkResponse({ type: TokenListDto })
  async list(@CurrentUser() user: UserEntity): Promise<TokenList> {
    return { tokens: await this.views.withUsage(await this.tokens.listForUser(user.id)) };
  }

  @Post()
  @ApiOperation({ summary: 'Create a token; the answer holds the secret, shown this once' })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'bad name, past expiry, both expiry fields, or a bad limit (the message names it)' })
  async create(@CurrentUser() user: UserEntity, @Body() body: CreateTokenDto, @Req() req: AuthedRequest): Promise<CreatedToken> {
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
    return this.views.one(await this.tokens.create(user.id, { name: body.name, expiresAt, limits: body.limits }, now, auditActor(req)));
  }

  @Patch(':id')
  @ApiParam({ name: 'id', type: Number, description: 'a whole number from 1 to 2147483647' })
  @ApiOperation({
    summary: 'Rename a token or change its limits (admins: any token); every proxy applies the change within 1 s',
    description:
      'In `limits`, a field left out stays as it is, a field given as null becomes unlimited, and `limits: null` lifts every limit. ' +
      "The token's owner's caps still apply on top.",
  })
  @ApiOkResponse({ type: TokenDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'nothing to change, a bad name or a bad limit (the message names it)' })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such token, or not yours' })
  @ApiConflictResponse({ type: CodedErrorDto, description: 'the token is revoked (code `token_revoked`): a revoked token is final' })
  async update(@CurrentUser() user: UserEntity, @RouteId('id') id: number, @Body() body: UpdateTokenDto, @Req() req: AuthedRequest): Promise<Token> {
    const changed = await this.tokens.update(id, { name: body.name, limits: body.limits }, { id: user.id, role: user.role }, auditActor(req));
    return this.views.one(changed);
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
