import { TokensService, toUser, UsersService } from '@lmarena-bridge/auth';
import type { AdminTokenList, User } from '@lmarena-bridge/contracts';
import { BadRequestException, Body, Controller, Get, Patch } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiConflictResponse, ApiCookieAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse,
  ApiOperation, ApiParam, ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Roles } from '../common/decorators';
import { ErrorDto } from '../common/error.dto';
import { RouteId } from '../common/parse-id.pipe';
import { AdminUserListDto, UserDto } from '../auth/dto/user.dto';
import { AdminTokenListDto } from '../tokens/dto/token.dto';
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
  ) {}

  @Get('users')
  @ApiOperation({ summary: 'Every user with status and token count' })
  @ApiOkResponse({ type: AdminUserListDto })
  async listUsers(): Promise<AdminUserListDto> {
    return { users: await this.users.listWithTokenCounts() };
  }

  @Patch('users/:id')
  @ApiParam({ name: 'id', type: Number, description: 'a whole number from 1 to 2147483647' })
  @ApiOperation({ summary: 'Disable/enable a user or change the role' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'would leave no active admin' })
  async updateUser(@RouteId('id') id: number, @Body() body: UpdateUserDto): Promise<User> {
    if (body.disabled === undefined && body.role === undefined) {
      throw new BadRequestException(['give disabled and/or role']);
    }
    return toUser(await this.users.update(id, body));
  }

  @Get('tokens')
  @ApiOperation({ summary: "Every user's tokens, with owner" })
  @ApiOkResponse({ type: AdminTokenListDto })
  async listTokens(): Promise<AdminTokenList> {
    return { tokens: await this.tokens.listAll() };
  }
}
