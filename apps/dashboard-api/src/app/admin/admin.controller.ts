import { AuditService, IpDenylistService, TokensService, toUser, UsersService } from '@lmarena-bridge/auth';
import type { AdminTokenList, AuditPage, IpDenylist, User, UserResponse } from '@lmarena-bridge/contracts';
import { BadRequestException, Body, Controller, Get, HttpCode, Patch, Post, Put, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
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
import { Roles } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { RouteId } from '../common/parse-id.pipe';
import { ResetPasswordDto } from '../auth/dto/password.dto';
import { AdminUserListDto, UserDto, UserResponseDto } from '../auth/dto/user.dto';
import { AdminTokenListDto } from '../tokens/dto/token.dto';
import { TokenViews } from '../tokens/token-views.service';
import { AuditPageDto, AuditQueryDto } from './dto/audit.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { IpDenylistDto } from './dto/ip-denylist.dto';
import { UpdateUserDto } from './dto/update-user.dto';

@ApiTags('admin')
@ApiCookieAuth('session')
@ApiUnauthorizedResponse({ type: ErrorDto })
@ApiForbiddenResponse({ type: ErrorDto, description: 'not an admin' })
@Roles('admin')
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
    private readonly denylist: IpDenylistService,
    private readonly views: TokenViews,
  ) {}

  @Get('users')
  @ApiOperation({ summary: 'Every user with status and token count' })
  @ApiOkResponse({ type: AdminUserListDto })
  async listUsers(): Promise<AdminUserListDto> {
    return { users: await this.users.listWithTokenCounts() };
  }

  @Post('users')
  @ApiOperation({ summary: 'Create an account (also while registration is closed)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'username or email taken' })
  async createUser(@Body() body: CreateUserDto, @Req() req: AuthedRequest): Promise<UserResponse> {
    const user = await this.users.create({ ...body, role: body.role ?? 'user' }, { audit: { actor: auditActor(req), via: 'admin' } });
    return { user: toUser(user) };
  }

  @Post('users/:id/password')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: Number, description: 'a whole number from 1 to 2147483647' })
  @ApiOperation({ summary: "Set a user's password; every session of that user ends" })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async setPassword(@RouteId('id') id: number, @Body() body: ResetPasswordDto, @Req() req: AuthedRequest): Promise<void> {
    await this.users.setPassword(id, body.new_password, auditActor(req));
  }

  @Get('audit')
  @ApiOperation({ summary: 'The audit log, newest first (keyset pages)' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  list(@Query() query: AuditQueryDto): Promise<AuditPage> {
    return this.audit.list(query);
  }

  @Patch('users/:id')
  @ApiParam({ name: 'id', type: Number, description: 'a whole number from 1 to 2147483647' })
  @ApiOperation({
    summary: "Disable/enable a user, change the role, or set the user's caps",
    description: 'Caps work like token limits in PATCH /api/tokens/:id; every proxy applies them within 1 s.',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'nothing to change, or a bad field (the message names it)' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'would leave no active admin' })
  async updateUser(@RouteId('id') id: number, @Body() body: UpdateUserDto, @Req() req: AuthedRequest): Promise<User> {
    if (body.disabled === undefined && body.role === undefined && body.limits === undefined) {
      throw new BadRequestException(['give disabled, role and/or limits']);
    }
    return toUser(await this.users.update(id, { disabled: body.disabled, role: body.role, limits: body.limits }, auditActor(req)));
  }

  @Get('tokens')
  @ApiOperation({ summary: "Every user's tokens, with owner" })
  @ApiOkResponse({ type: AdminTokenListDto })
  async listTokens(): Promise<AdminTokenList> {
    return { tokens: await this.views.withUsage(await this.tokens.listAll()) };
  }

  @Get('ip-denylist')
  @ApiOperation({ summary: 'The proxy-wide IP deny list: addresses and ranges refused for every token' })
  @ApiOkResponse({ type: IpDenylistDto })
  async getDenylist(): Promise<IpDenylist> {
    return { ranges: await this.denylist.list() };
  }

  @Put('ip-denylist')
  @ApiOperation({ summary: 'Replace the proxy-wide IP deny list; every proxy applies it within 1 s' })
  @ApiOkResponse({ type: IpDenylistDto, description: 'the list as stored: canonical, without duplicates' })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'not a list, too long, or an entry that is not an address or range (the message names it)' })
  async putDenylist(@Body() body: IpDenylistDto, @Req() req: AuthedRequest): Promise<IpDenylist> {
    return { ranges: await this.denylist.replace(body.ranges, auditActor(req)) };
  }
}
