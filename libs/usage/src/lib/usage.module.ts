import { Module } from '@nestjs/common';
import { UsageRecorder } from './recorder/usage-recorder.service';

/** The batched recorder; needs DatabaseModule and ConfigModule in the app. The proxy's record step hands it the rows. */
@Module({
  providers: [UsageRecorder],
  exports: [UsageRecorder],
})
export class UsageModule {}
