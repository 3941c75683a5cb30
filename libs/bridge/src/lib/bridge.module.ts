import { Module } from '@nestjs/common';
import { BridgeBrowsersService } from './browsers/bridge-browsers.service';
import { BridgeKeysService } from './keys/bridge-keys.service';
import { BridgeModelsService } from './models/bridge-models.service';

/** Bridge keys, reported models and live browsers; needs DatabaseModule in the app. */
@Module({
  providers: [BridgeKeysService, BridgeModelsService, BridgeBrowsersService],
  exports: [BridgeKeysService, BridgeModelsService, BridgeBrowsersService],
})
export class BridgeModule {}
