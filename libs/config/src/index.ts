export * from './lib/config.types';
export * from './lib/config-error';
export * from './lib/load-config';
export * from './lib/load-config-or-exit';
export * from './lib/config.module';
export * from './lib/bridge-url';
