import type { BridgeBrowser, BridgeKey, BridgeModel, BridgeState } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';

/** Swagger schemas of the contract's bridge shapes. */
export class BridgeBrowserDto implements BridgeBrowser {
  @ApiProperty({ example: '0199d7a4-…' }) browser_id!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'null: the configured bridge.secret' }) key_id!: number | null;
  @ApiProperty({ example: 'https://arena.ai' }) origin!: string;
  @ApiProperty({ example: '1.0.0', description: 'the userscript version' }) version!: string;
  @ApiProperty({ example: '2026-12-01T10:00:00.000Z' }) connected_at!: string;
  @ApiProperty({ example: 1 }) in_flight!: number;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
}

export class BridgeKeyDto implements BridgeKey {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'laptop chrome' }) name!: string;
  @ApiProperty({ example: '2026-12-01T10:00:00.000Z' }) created_at!: string;
  @ApiProperty({ nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_at!: string | null;
}

export class BridgeModelDto implements BridgeModel {
  @ApiProperty({ example: '0199c1f2-7a3b-7c4d-9e5f-000000000001', description: "the site's model id" }) id!: string;
  @ApiProperty({ nullable: true, type: String, example: 'claude-sonnet-4' }) public_name!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'anthropic' }) organization!: string | null;
  @ApiProperty({ nullable: true, type: Object, description: '{inputCapabilities, outputCapabilities} as the site reports them' })
  capabilities!: unknown;
  @ApiProperty({ example: '2026-12-01T10:00:00.000Z' }) reported_at!: string;
}

export class BridgeStateDto implements BridgeState {
  @ApiProperty({ type: [BridgeBrowserDto], description: 'browsers a proxy saw in the last 30 s' }) browsers!: BridgeBrowserDto[];
  @ApiProperty({ type: [BridgeKeyDto] }) keys!: BridgeKeyDto[];
  @ApiProperty({ type: [BridgeModelDto] }) models!: BridgeModelDto[];
}
