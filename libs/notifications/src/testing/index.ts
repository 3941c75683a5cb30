export * from './receiver';
export * from './smtp';
