import { SessionsService, toUser, UserEntity, UsersService } from '@lmarena-bridge/auth';
import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import type { User, UserResponse } from '@lmarena-bridge/contracts';
import { Body, Controller, ForbiddenException, Get, HttpCode, Post, Req, Res, UnauthorizedException, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiConflictResponse, ApiCookieAuth, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse,
  ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthThrottlerGuard } from '../common/auth-throttler.guard';
import type { AuthedRequest } from '../common/authed-request';
import { CurrentUser, Public } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { SESSION_COOKIE, sessionCookieOptions } from '../common/session-cookie';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { UserDto, UserResponseDto } from './dto/user.dto';

const BAD_CREDENTIALS = 'Wrong username or password, or the account is disabled.';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post('admin/init')
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({ summary: 'Create the first user, as admin (only while no user exists)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'a user already exists' })
  @ApiTooManyRequestsResponse({ type: ErrorDto })
  async init(@Body() body: RegisterDto): Promise<UserResponse> {
    const user = await this.users.create({ ...body, role: 'admin' }, { onlyIfNoUsers: true });
    return { user: toUser(user) };
  }

  @Post('auth/register')
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({ summary: 'Create an account (role user)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'username or email taken' })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'registration is disabled' })
  @ApiTooManyRequestsResponse({ type: ErrorDto })
  async register(@Body() body: RegisterDto): Promise<UserResponse> {
    if (!this.config.dashboard.allow_registration) {
      throw new ForbiddenException('Registration is disabled: ask an admin for an account.');
    }
    const user = await this.users.create({ ...body, role: 'user' });
    return { user: toUser(user) };
  }

  @Post('auth/login')
  @Public()
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({ summary: 'Sign in with username or email; sets the session cookie' })
  @ApiOkResponse({ type: UserResponseDto, headers: { 'Set-Cookie': { description: 'session=…; HttpOnly; SameSite=Strict', schema: { type: 'string' } } } })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'wrong credentials or disabled account (one message for all)' })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'too many attempts; see Retry-After' })
  async login(@Body() body: LoginDto, @Res({ passthrough: true }) res: Response): Promise<UserResponse> {
    const user = await this.users.checkCredentials(body.username, body.password);
    if (!user) throw new UnauthorizedException(BAD_CREDENTIALS);
    const session = await this.sessions.create(user.id);
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
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions(this.config.dashboard.secure_cookies));
  }

  @Get('auth/me')
  @ApiCookieAuth('session')
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserDto })
  @ApiUnauthorizedResponse({ type: ErrorDto })
  me(@CurrentUser() user: UserEntity): User {
    return toUser(user);
  }
}
