// Garbage collection decisions over the ownerReference graph, as upstream's garbage collector
// makes them (k8s.io/kubernetes/pkg/controller/garbagecollector/garbagecollector.go
// attemptToDeleteItem, processDeletingDependentsItem, orphanDependents):
// - background: an object all of whose owners are gone is deleted;
// - foreground: an owner being deleted with the `foregroundDeletion` finalizer has its dependents
//   deleted, and loses the finalizer once no dependent with blockOwnerDeletion remains;
// - orphan: an owner being deleted with the `orphan` finalizer has its references removed from
//   its dependents, then loses the finalizer.

/** Finalizer the API server adds for propagationPolicy=Foreground. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** Finalizer the API server adds for propagationPolicy=Orphan. */
export const ORPHAN_FINALIZER = 'orphan';

/** An owner reference as stored on a dependent. */
export interface GcOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The graph node the collector needs of any object. */
export interface GcObject {
  apiVersion: string;
  kind: string;
  /** undefined for cluster-scoped objects. */
  namespace?: string;
  name: string;
  uid: string;
  ownerReferences?: GcOwnerReference[];
  finalizers?: string[];
  deletionTimestamp?: string;
}

/** Which object an action applies to. */
export interface GcTarget {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
}

/** One write the collector makes. */
export type GcAction =
  | { action: 'delete'; target: GcTarget; propagationPolicy: 'Background' | 'Foreground' | 'Orphan' }
  | { action: 'removeOwnerReferences'; target: GcTarget; ownerUids: string[] }
  | { action: 'removeFinalizer'; target: GcTarget; finalizer: string };

const target = (o: GcObject): GcTarget => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace, name: o.name, uid: o.uid });
const has = (o: GcObject, f: string): boolean => (o.finalizers ?? []).includes(f);
const deletingDependents = (o: GcObject): boolean => !!o.deletionTimestamp && has(o, FOREGROUND_FINALIZER);

/**
 * The actions one pass of the collector takes over a snapshot of objects (every kind that takes
 * part in ownership). Owners are matched by UID; a namespaced dependent only has owners in its
 * own namespace or cluster-scoped ones, so a reference across namespaces is dangling.
 */
export function planGarbageCollection(objects: GcObject[]): GcAction[] {
  const byUid = new Map(objects.map((o) => [o.uid, o]));
  const dependents = new Map<string, GcObject[]>();
  for (const o of objects) {
    for (const r of o.ownerReferences ?? []) {
      const list = dependents.get(r.uid) ?? [];
      list.push(o);
      dependents.set(r.uid, list);
    }
  }
  const ownerOf = (dep: GcObject, r: GcOwnerReference): GcObject | undefined => {
    const owner = byUid.get(r.uid);
    if (!owner || owner.kind !== r.kind || owner.name !== r.name) return undefined;
    if (owner.namespace !== undefined && owner.namespace !== dep.namespace) return undefined;
    return owner;
  };
  const actions: GcAction[] = [];

  for (const o of objects) {
    // Owners being deleted: orphan or wait for their dependents.
    if (o.deletionTimestamp && has(o, ORPHAN_FINALIZER)) {
      for (const d of dependents.get(o.uid) ?? []) actions.push({ action: 'removeOwnerReferences', target: target(d), ownerUids: [o.uid] });
      actions.push({ action: 'removeFinalizer', target: target(o), finalizer: ORPHAN_FINALIZER });
      continue;
    }
    if (deletingDependents(o)) {
      const blocking = (dependents.get(o.uid) ?? []).filter((d) => d.ownerReferences?.some((r) => r.uid === o.uid && r.blockOwnerDeletion));
      if (blocking.length === 0) actions.push({ action: 'removeFinalizer', target: target(o), finalizer: FOREGROUND_FINALIZER });
    }
    // An object already being deleted (and not waiting on its own dependents) is left alone.
    if (o.deletionTimestamp && !deletingDependents(o)) continue;
    const refs = o.ownerReferences ?? [];
    if (refs.length === 0 || o.deletionTimestamp) continue;

    const solid: GcOwnerReference[] = [];
    const dangling: GcOwnerReference[] = [];
    const waiting: GcOwnerReference[] = [];
    for (const r of refs) {
      const owner = ownerOf(o, r);
      if (!owner) dangling.push(r);
      else if (deletingDependents(owner)) waiting.push(r);
      else solid.push(r);
    }
    if (solid.length > 0) {
      // Still owned: only drop references to owners that are gone or going.
      const drop = [...dangling, ...waiting].map((r) => r.uid);
      if (drop.length) actions.push({ action: 'removeOwnerReferences', target: target(o), ownerUids: drop });
      continue;
    }
    if (waiting.length > 0 && (dependents.get(o.uid) ?? []).length > 0) {
      // An owner waits for us and we have dependents of our own: go in the foreground too.
      actions.push({ action: 'delete', target: target(o), propagationPolicy: 'Foreground' });
      continue;
    }
    const policy = has(o, ORPHAN_FINALIZER) ? 'Orphan' : has(o, FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    actions.push({ action: 'delete', target: target(o), propagationPolicy: policy });
  }
  return actions;
}
