import { AuditService, SessionsService, toUser, UserEntity, UsersService } from '@lmarena-bridge/auth';
import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import type { SessionList, User, UserResponse } from '@lmarena-bridge/contracts';
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Post,
  Req,
  Res,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
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
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AddressThrottleGuard } from '../common/address-throttle.guard';
import { auditActor } from '../common/audit-actor';
import type { AuthedRequest } from '../common/authed-request';
import { clientAddress } from '../common/client-address';
import { CurrentUser, Public } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { RouteId } from '../common/parse-id.pipe';
import { SESSION_COOKIE, sessionCookieOptions } from '../common/session-cookie';
import { accountKey, SignInLimiter } from '../common/sign-in-limiter.service';
import { LoginDto } from './dto/login.dto';
import { ChangePasswordDto } from './dto/password.dto';
import { RegisterDto } from './dto/register.dto';
import { SessionListDto } from './dto/session.dto';
import { UserDto, UserResponseDto } from './dto/user.dto';

const BAD_CREDENTIALS = 'Wrong username or password, or the account is disabled.';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly limiter: SignInLimiter,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post('admin/init')
  @Public()
  @UseGuards(AddressThrottleGuard)
  @ApiOperation({ summary: 'Create the first user, as admin (only while no user exists)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'a user already exists' })
  @ApiTooManyRequestsResponse({ type: ErrorDto })
  async init(@Body() body: RegisterDto, @Req() req: Request): Promise<UserResponse> {
    const user = await this.users.create({ ...body, role: 'admin' }, { onlyIfNoUsers: true, audit: { actor: auditActor(req), via: 'init' } });
    return { user: toUser(user) };
  }

  @Post('auth/register')
  @Public()
  @UseGuards(AddressThrottleGuard)
  @ApiOperation({ summary: 'Create an account (role user)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'username or email taken' })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'registration is disabled' })
  @ApiTooManyRequestsResponse({ type: ErrorDto })
  async register(@Body() body: RegisterDto, @Req() req: Request): Promise<UserResponse> {
    if (!this.config.dashboard.allow_registration) {
      throw new ForbiddenException('Registration is disabled: ask an admin for an account.');
    }
    const user = await this.users.create({ ...body, role: 'user' }, { audit: { actor: auditActor(req), via: 'register' } });
    return { user: toUser(user) };
  }

  @Post('auth/login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with username or email; sets the session cookie' })
  @ApiOkResponse({ type: UserResponseDto, headers: { 'Set-Cookie': { description: 'session=…; HttpOnly; SameSite=Strict', schema: { type: 'string' } } } })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'wrong credentials or disabled account (one message for all)' })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'too many attempts from this address (for this account); see Retry-After' })
  async login(@Body() body: LoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<UserResponse> {
    const ip = clientAddress(req);
    await this.limiter.hitAddress(ip, res);
    const found = await this.users.findByLogin(body.username);
    const account = accountKey(body.username, found?.id ?? null);
    await this.limiter.hitAccount(account, ip, res);
    const user = await this.users.checkCredentials(body.username, body.password, found);
    if (!user) {
      await this.audit.recordNow({
        action: 'auth.login_failed',
        actor: { id: found?.id ?? null, name: found?.username ?? body.username.slice(0, 64), ip },
        target: found ? `user:${found.id} ${found.username}` : null,
      });
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    await this.limiter.clearAccount(account, ip);
    const session = await this.sessions.create(
      user.id,
      new Date(),
      { ip, userAgent: req.headers['user-agent'] ?? null },
      { id: user.id, name: user.username, ip },
    );
    res.cookie(SESSION_COOKIE, session.id, sessionCookieOptions(this.config.dashboard.secure_cookies, session.expiresAt));
    return { user: toUser(user) };
  }

  @Post('auth/logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session and clear the cookie' })
  @ApiNoContentResponse()
  async logout(@Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    const sessionId: unknown = req.cookies?.[SESSION_COOKIE];
    if (typeof sessionId === 'string' && sessionId) await this.sessions.revoke(sessionId);
    this.clearCookie(res);
  }

  @Post('auth/logout-all')
  @HttpCode(204)
  @ApiCookieAuth('session')
  @ApiOperation({ summary: 'End every session of the signed-in user, this one included' })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse({ type: ErrorDto })
  async logoutAll(@CurrentUser() user: UserEntity, @Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.revokeAll(user.id, auditActor(req));
    this.clearCookie(res);
  }

  @Post('auth/password')
  @HttpCode(204)
  @ApiCookieAuth('session')
  @ApiOperation({ summary: 'Change your password; every other session of yours ends' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ type: ErrorDto, description: 'current_password wrong, or new_password unacceptable' })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'too many password checks; see Retry-After' })
  async changePassword(
    @CurrentUser() user: UserEntity,
    @Body() body: ChangePasswordDto,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    // The current password is a credential check like a sign-in: the same throttles, so a
    // stolen session cannot be used to guess it.
    const ip = clientAddress(req);
    await this.limiter.hitAddress(ip, res);
    const account = accountKey(user.username, user.id);
    await this.limiter.hitAccount(account, ip, res);
    const changed = await this.users.changePassword(user.id, body.current_password, body.new_password, req.sessionId ?? '', auditActor(req));
    // 400, not 401: the session is fine, and a 401 would sign the dashboard out.
    if (!changed) throw new BadRequestException(['The current password is not right.']);
    await this.limiter.clearAccount(account, ip);
  }

  @Get('auth/sessions')
  @ApiCookieAuth('session')
  @ApiOperation({ summary: 'Your live sessions, newest first' })
  @ApiOkResponse({ type: SessionListDto })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  async listSessions(@CurrentUser() user: UserEntity, @Req() req: AuthedRequest): Promise<SessionList> {
    return { sessions: await this.sessions.listForUser(user.id, req.sessionId ?? '') };
  }

  @Delete('auth/sessions/:id')
  @HttpCode(204)
  @ApiCookieAuth('session')
  @ApiParam({ name: 'id', type: Number, description: 'the id from GET /api/auth/sessions' })
  @ApiOperation({ summary: 'End one of your sessions (this one: also clears the cookie)' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such live session of yours' })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  async revokeSession(
    @CurrentUser() user: UserEntity,
    @RouteId('id') id: number,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const { current } = await this.sessions.revokeOwn(user.id, id, req.sessionId ?? '', auditActor(req));
    if (current) this.clearCookie(res);
  }

  @Get('auth/me')
  @ApiCookieAuth('session')
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserDto })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  me(@CurrentUser() user: UserEntity): User {
    return toUser(user);
  }

  private clearCookie(res: Response): void {
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions(this.config.dashboard.secure_cookies));
  }
}
