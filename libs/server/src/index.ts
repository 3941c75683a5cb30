export * from './lib/logger.module';
export * from './lib/swagger';
export * from './lib/listen';
export * from './lib/client-errors';
export * from './lib/graceful-stop';
export * from './lib/metrics';
export * from './lib/request-id';
