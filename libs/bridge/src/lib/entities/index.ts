import { BridgeBrowserEntity } from './bridge-browser.entity';
import { BridgeKeyEntity } from './bridge-key.entity';
import { BridgeModelEntity } from './bridge-model.entity';

export { BridgeBrowserEntity, BridgeKeyEntity, BridgeModelEntity };
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const bridgeEntities: Function[] = [BridgeKeyEntity, BridgeModelEntity, BridgeBrowserEntity];
