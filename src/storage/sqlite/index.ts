// SqliteStore's public face.
export { SqliteStore, type SqliteStoreOptions, type Scheduler, type Cancel } from './sqlite-store.js';
