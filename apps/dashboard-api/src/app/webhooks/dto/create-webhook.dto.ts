import { WEBHOOK_EVENT_TYPES } from '@lmarena-bridge/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';
import { IsCleanText } from '../../common/clean-text.validator';
import { OptionalNotNull } from '../../common/optional-not-null';

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://hooks.example.com/lmb',
    maxLength: 2048,
    description: 'http(s); must not resolve to a private address unless webhooks.allow_private',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ type: [String], enum: WEBHOOK_EVENT_TYPES, example: ['token.created', 'token.revoked'] })
  @IsArray()
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length * 2)
  @IsString({ each: true })
  events!: string[];

  @ApiPropertyOptional({ example: 'team alerts', maxLength: 200 })
  @OptionalNotNull()
  @IsString()
  @MaxLength(200)
  @IsCleanText()
  description?: string;
}

export class WebhookDto {
  @ApiProperty() id!: number;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String], enum: WEBHOOK_EVENT_TYPES }) events!: string[];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({ description: 'the signing secret, shown this once', example: 'whsec_…' }) secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] }) webhooks!: WebhookDto[];
}

export class WebhookDeliveryDto {
  @ApiProperty() id!: number;
  @ApiProperty({ description: 'X-LMB-Delivery: the same for every attempt of one event' }) delivery_id!: string;
  @ApiProperty() type!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ type: Number, nullable: true }) status_code!: number | null;
  @ApiProperty() latency_ms!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, nullable: true, maxLength: 1024 }) response_body!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) deliveries!: WebhookDeliveryDto[];
}

export class WebhookTestDto {
  @ApiProperty() delivery_id!: string;
}
