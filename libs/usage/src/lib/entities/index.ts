import { UsageDailyEntity } from './usage-daily.entity';
import { UsageLogEntity } from './usage-log.entity';

export { UsageDailyEntity, UsageLogEntity };
/**
 * The usage tables read through TypeORM. The summary's rollups (usage_day_status and the
 * others of AnalyticsRollups1764500000006) are written and read in plain SQL only.
 */
export const usageEntities = [UsageLogEntity, UsageDailyEntity];
