import { UserEntity } from '@lmarena-bridge/auth';
import type { CreatedWebhook, WebhookDeliveryList, WebhookList } from '@lmarena-bridge/contracts';
import { WebhooksService } from '@lmarena-bridge/notifications';
import { Body, Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { auditActor } from '../common/audit-actor';
import type { AuthedRequest } from '../common/authed-request';
import { CurrentUser } from '../common/decorators';
import { CodedErrorDto, ErrorDto } from '../common/error.dto';
import { RouteId } from '../common/parse-id.pipe';
import { CreatedWebhookDto, CreateWebhookDto, WebhookDeliveryListDto, WebhookListDto, WebhookTestDto } from './dto/create-webhook.dto';

const ID_PARAM = { name: 'id', type: Number, description: 'a whole number from 1 to 2147483647' } as const;

@ApiTags('webhooks')
@ApiCookieAuth('session')
@ApiUnauthorizedResponse({ type: ErrorDto })
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe a URL to events; the answer holds the signing secret, shown this once' })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'bad or private URL, unknown or admin-only event, too many webhooks' })
  @ApiServiceUnavailableResponse({ type: CodedErrorDto, description: 'webhooks.secret_key is not set (code `webhooks_not_configured`)' })
  create(@CurrentUser() user: UserEntity, @Body() body: CreateWebhookDto, @Req() req: AuthedRequest): Promise<CreatedWebhook> {
    return this.webhooks.create({ id: user.id, role: user.role }, body, auditActor(req));
  }

  @Get()
  @ApiOperation({ summary: 'Your webhooks (never their secrets)' })
  @ApiOkResponse({ type: WebhookListDto })
  async list(@CurrentUser() user: UserEntity): Promise<WebhookList> {
    return { webhooks: await this.webhooks.list(user.id) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam(ID_PARAM)
  @ApiOperation({ summary: 'Delete a webhook with its pending events and delivery log (admins: any)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such webhook, or not yours' })
  async remove(@CurrentUser() user: UserEntity, @RouteId('id') id: number, @Req() req: AuthedRequest): Promise<void> {
    await this.webhooks.remove(id, { id: user.id, role: user.role }, auditActor(req));
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiParam(ID_PARAM)
  @ApiOperation({ summary: 'Queue a signed `webhook.test` event for this webhook; see its deliveries for the outcome' })
  @ApiAcceptedResponse({ type: WebhookTestDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such webhook, or not yours' })
  test(@CurrentUser() user: UserEntity, @RouteId('id') id: number): Promise<{ delivery_id: string }> {
    return this.webhooks.test(id, { id: user.id, role: user.role });
  }

  @Get(':id/deliveries')
  @ApiParam(ID_PARAM)
  @ApiOperation({ summary: 'The last 100 delivery attempts of a webhook, newest first' })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such webhook, or not yours' })
  async deliveries(@CurrentUser() user: UserEntity, @RouteId('id') id: number): Promise<WebhookDeliveryList> {
    return { deliveries: await this.webhooks.deliveries(id, { id: user.id, role: user.role }) };
  }
}
