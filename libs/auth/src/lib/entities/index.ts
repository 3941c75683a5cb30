import { ApiTokenEntity } from './api-token.entity';
import { AuditEventEntity } from './audit-event.entity';
import { IpDenylistEntity } from './ip-denylist.entity';
import { SessionEntity } from './session.entity';
import { UserEntity } from './user.entity';

export { ApiTokenEntity, AuditEventEntity, IpDenylistEntity, SessionEntity, UserEntity };
export const authEntities = [UserEntity, SessionEntity, ApiTokenEntity, AuditEventEntity, IpDenylistEntity];
