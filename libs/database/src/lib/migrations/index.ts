import { InitialSchema1764300000000 } from './1764300000000-initial-schema';
import { AuthEpoch1764300000001 } from './1764300000001-auth-epoch';
import { UsageSummaryIndexes1764400000000 } from './1764400000000-usage-summary-indexes';
import { Bridge1764500000000 } from './1764500000000-bridge';
import { UsageEstimated1764500000001 } from './1764500000001-usage-estimated';
import { UsageRowUid1764500000002 } from './1764500000002-usage-row-uid';
import { AccountsSecurity1764500000003 } from './1764500000003-accounts-security';
import { Limits1764500000004 } from './1764500000004-limits';
import { UsageCost1764500000005 } from './1764500000005-usage-cost';
import { AnalyticsRollups1764500000006 } from './1764500000006-analytics-rollups';
import { UsageLogSearch1764500000007 } from './1764500000007-usage-log-search';
import { Webhooks1764500000010 } from './1764500000010-webhooks';
import { UsageFtsByWriter1764500000011 } from './1764500000011-usage-fts-by-writer';

/** SQLite's text search table of the request log's messages; the usage writer fills it (UsageFtsByWriter1764500000011). */
export { FTS_TABLE } from './1764500000007-usage-log-search';

/** Every migration, oldest first. Listed as classes because the servers are bundled. */
export const migrations = [
  InitialSchema1764300000000,
  AuthEpoch1764300000001,
  UsageSummaryIndexes1764400000000,
  Bridge1764500000000,
  UsageEstimated1764500000001,
  UsageRowUid1764500000002,
  AccountsSecurity1764500000003,
  Limits1764500000004,
  UsageCost1764500000005,
  AnalyticsRollups1764500000006,
  UsageLogSearch1764500000007,
  Webhooks1764500000010,
  UsageFtsByWriter1764500000011,
];
