export * from './lib/entities';
export * from './lib/views';
export * from './lib/keys/bridge-key-secret';
export * from './lib/keys/bridge-keys.service';
export * from './lib/models/bridge-models.service';
export * from './lib/browsers/bridge-browsers.service';
export * from './lib/bridge.module';
