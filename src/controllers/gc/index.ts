// The garbage collector's decisions over the ownerReference graph.
export { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, planGarbageCollection, type GcAction, type GcObject, type GcOwnerReference, type GcTarget } from './gc.js';
