import { Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service';
import { IpDenylistService } from './limits/ip-denylist.service';
import { SessionsService } from './sessions/sessions.service';
import { TokenVerifier } from './tokens/token-verifier.service';
import { TokensService } from './tokens/tokens.service';
import { UsersService } from './users/users.service';

/** Account, session and token rules; needs DatabaseModule and ConfigModule in the app. */
@Module({
  providers: [UsersService, SessionsService, TokensService, TokenVerifier, AuditService, IpDenylistService],
  exports: [UsersService, SessionsService, TokensService, TokenVerifier, AuditService, IpDenylistService],
})
export class AuthModule {}
