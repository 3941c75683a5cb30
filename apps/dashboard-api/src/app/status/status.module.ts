import { BridgeModule } from '@lmarena-bridge/bridge';
import { Module } from '@nestjs/common';
import { StatusController } from './status.controller';
import { StatusService } from './status.service';

@Module({ imports: [BridgeModule], controllers: [StatusController], providers: [StatusService] })
export class StatusModule {}
