// Framework-free JSON shapes shared by the servers and the SPA. Nothing here may import
// Node, NestJS or TypeORM: the SPA compiles this library too.
export * from './lib/user';
export * from './lib/token';
export * from './lib/usage';
export * from './lib/status';
export * from './lib/bridge';
export * from './lib/errors';
export * from './lib/account-security';
export * from './lib/limits';
export * from './lib/webhooks';
