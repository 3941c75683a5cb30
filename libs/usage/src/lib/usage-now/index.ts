export * from './usage-now-source';
export * from './database-usage-now.service';
