import { ApiTokenEntity } from './api-token.entity';
import { SessionEntity } from './session.entity';
import { UserEntity } from './user.entity';

export { ApiTokenEntity, SessionEntity, UserEntity };
export const authEntities = [UserEntity, SessionEntity, ApiTokenEntity];
