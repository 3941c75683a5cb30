import { ApiTokenEntity } from './api-token.entity';
import { AuditEventEntity } from './audit-event.entity';
import { SessionEntity } from './session.entity';
import { UserEntity } from './user.entity';

export { ApiTokenEntity, AuditEventEntity, SessionEntity, UserEntity };
export const authEntities = [UserEntity, SessionEntity, ApiTokenEntity, AuditEventEntity];
