import { Module } from '@nestjs/common';
import { UsageRecorder } from './recorder/usage-recorder.service';
import { UsageCounters } from './usage-counters.service';

/**
 * The batched recorder, and the rollup counters the limits seed from; needs DatabaseModule
 * and ConfigModule in the app. The proxy's record step hands the recorder the rows.
 */
@Module({
  providers: [UsageRecorder, UsageCounters],
  exports: [UsageRecorder, UsageCounters],
})
export class UsageModule {}
