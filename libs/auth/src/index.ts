export * from './lib/entities';
