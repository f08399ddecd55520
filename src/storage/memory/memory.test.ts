import { runStoreContract } from '../contract.js';
import { MemoryStore } from './memory-store.js';

runStoreContract('MemoryStore', async () => {
  const store = new MemoryStore({ bufferSize: 16, pageSize: 8 });
  return {
    store,
    // Memory has nothing to reopen from: the same instance stands in for the reopened store.
    reopen: async () => store,
    cleanup: () => store.close(),
    watchBufferSize: 16,
  };
});
