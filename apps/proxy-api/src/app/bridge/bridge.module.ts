import { readAuthEpoch } from '@lmarena-bridge/auth';
import { BridgeBrowsersService, BridgeKeysService, BridgeModelsService, BridgeModule as BridgeStoreModule } from '@lmarena-bridge/bridge';
import { Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BridgeGateway } from './bridge-gateway';
import { BridgeHub } from './bridge-hub.service';
import { AUTH_EPOCH_READER, BRIDGE_KEY_STORE, BRIDGE_MODEL_STORE, BROWSER_STATE_STORE } from './bridge-stores';
import { BRIDGE_TIMINGS, DEFAULT_BRIDGE_TIMINGS } from './bridge-timings';

/**
 * The LMArena browser bridge of the proxy: the /ws gateway (attached to the HTTP server in
 * create-app.ts) and the hub the LMArena provider sends requests through. The database side
 * (keys, reported models, browser rows) is `@lmarena-bridge/bridge`.
 */
@Module({
  imports: [BridgeStoreModule],
  providers: [
    { provide: BRIDGE_TIMINGS, useValue: DEFAULT_BRIDGE_TIMINGS },
    { provide: BRIDGE_KEY_STORE, useExisting: BridgeKeysService },
    { provide: BRIDGE_MODEL_STORE, useExisting: BridgeModelsService },
    { provide: BROWSER_STATE_STORE, useExisting: BridgeBrowsersService },
    {
      provide: AUTH_EPOCH_READER,
      useFactory: (dataSource: DataSource) => () => readAuthEpoch(dataSource),
      inject: [getDataSourceToken()],
    },
    BridgeHub,
    BridgeGateway,
  ],
  exports: [BridgeHub, BridgeGateway],
})
export class BridgeModule {}
