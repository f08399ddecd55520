// Controller decisions as pure functions, one namespace per controller. The informer-driven
// loops that call them live beside them once the API client exists; these stay free of IO.
export * as deployment from './deployment/index.js';
export * as replicaset from './replicaset/index.js';
export * as endpoints from './endpoints/index.js';
export * as gc from './gc/index.js';
export * as namespace from './namespace/index.js';
export * as nodelifecycle from './nodelifecycle/index.js';
export { claimObjects, type Claim } from './claim.js';
export { EXPECTATIONS_TIMEOUT_MS, Expectations } from './expectations.js';
export { runWorkers, type SyncFn, type SyncResult, type WorkerOptions } from './worker.js';
export {
  canonicalJson, controllerOf, fnv32a, isPodActive, isPodAvailable, isPodReady, newControllerRef, rfc3339,
  safeEncodeString, type ControllerEvent,
} from './objects.js';
