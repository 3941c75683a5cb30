import { UsageDailyEntity, UsageDailyLatencyEntity } from './usage-daily.entity';
import { UsageLogEntity } from './usage-log.entity';

export { UsageDailyEntity, UsageDailyLatencyEntity, UsageLogEntity };
export const usageEntities = [UsageLogEntity, UsageDailyEntity, UsageDailyLatencyEntity];
