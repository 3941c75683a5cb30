import type { SessionInfo, SessionList } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';

export class SessionDto implements SessionInfo {
  @ApiProperty({ example: 12, description: 'the row id (never the cookie value)' }) id!: number;
  @ApiProperty({ example: '2026-11-24T17:36:46.000Z' }) created_at!: string;
  @ApiProperty({ example: '2026-11-24T18:00:00.000Z', nullable: true, type: String }) last_seen_at!: string | null;
  @ApiProperty({ example: '192.0.2.10', nullable: true, type: String }) ip!: string | null;
  @ApiProperty({ example: 'Mozilla/5.0 …', nullable: true, type: String }) user_agent!: string | null;
  @ApiProperty({ description: 'the session of this request' }) current!: boolean;
}

export class SessionListDto implements SessionList {
  @ApiProperty({ type: [SessionDto] }) sessions!: SessionDto[];
}
