import { limitStoreContract } from '../testing/limit-store.contract';
import { MemoryLimitStore } from './memory-limit-store';

limitStoreContract('MemoryLimitStore', {
  open: async (seed, clock) => new MemoryLimitStore({ seed, clock: clock.now }),
  close: async () => undefined,
});
