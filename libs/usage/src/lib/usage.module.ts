import { Module } from '@nestjs/common';
import { UsageRecorder } from './recorder/usage-recorder.service';
import { UsageInterceptor } from './usage.interceptor';

/** The recorder and interceptor; needs DatabaseModule and ConfigModule in the app. */
@Module({
  providers: [UsageRecorder, UsageInterceptor],
  exports: [UsageRecorder, UsageInterceptor],
})
export class UsageModule {}
