// MemoryStore's public face.
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
