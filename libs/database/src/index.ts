export * from './lib/epoch-ms.transformer';
export * from './lib/data-source';
export * from './lib/migrate';
export * from './lib/readiness';
export * from './lib/migrations';
export * from './lib/database.module';
export * from './lib/transaction';
export * from './lib/database-unavailable';
