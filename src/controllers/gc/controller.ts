// The running garbage collector: informers over every kind that takes part in ownership feed
// one graph; each pass runs planGarbageCollection over a snapshot and applies its actions.
// Like upstream's attemptToDeleteItem, an owner that the caches do not show is looked up live
// before a dependent is deleted or loses its reference, so an informer that lags (a pod seen
// before its new ReplicaSet) never makes the collector delete a live object's dependents.
import { isStatusCode, RESOURCES, type ApiObject, type ResourceRef } from '../../client/index.js';
import { startQueue, type ControllerContext, type RunningController } from '../context.js';
import type { SharedInformer } from '../informers.js';
import { planGarbageCollection, type GcAction, type GcObject, type GcTarget } from './gc.js';

/** Kinds the collector watches, by `apiVersion/kind` (owners and dependents both). */
export const GC_KINDS: Record<string, ResourceRef> = {
  'v1/Pod': RESOURCES.pods,
  'v1/Service': RESOURCES.services,
  'v1/ConfigMap': RESOURCES.configmaps,
  'v1/Secret': RESOURCES.secrets,
  'v1/ServiceAccount': RESOURCES.serviceaccounts,
  'v1/Node': RESOURCES.nodes,
  'apps/v1/Deployment': RESOURCES.deployments,
  'apps/v1/ReplicaSet': RESOURCES.replicasets,
  'discovery.k8s.io/v1/EndpointSlice': RESOURCES.endpointslices,
  'coordination.k8s.io/v1/Lease': RESOURCES.leases,
};

const PASS_KEY = 'graph';

function refFor(apiVersion: string, kind: string): ResourceRef | undefined {
  return GC_KINDS[`${apiVersion}/${kind}`];
}

function toGcObject(apiVersion: string, kind: string, o: ApiObject): GcObject {
  const md = o.metadata as ApiObject['metadata'] & { ownerReferences?: GcObject['ownerReferences']; finalizers?: string[]; deletionTimestamp?: string };
  return {
    apiVersion, kind, namespace: md.namespace, name: String(md.name), uid: String(md.uid),
    ownerReferences: md.ownerReferences, finalizers: md.finalizers, deletionTimestamp: md.deletionTimestamp,
  };
}

/** Starts the garbage collector. */
export function startGarbageCollector(ctx: ControllerContext): RunningController {
  const log = ctx.log.child({ controller: 'garbagecollector' });
  const informers: Array<{ apiVersion: string; kind: string; inf: SharedInformer }> = [];
  for (const [id, ref] of Object.entries(GC_KINDS)) {
    const kind = id.slice(id.lastIndexOf('/') + 1);
    const apiVersion = id.slice(0, id.lastIndexOf('/'));
    informers.push({ apiVersion, kind, inf: ctx.informers.for(ref) });
  }

  /** Whether the owner named by a reference of `dep` exists (live lookup, uid must match). */
  const ownerExists = async (dep: GcTarget, owner: { apiVersion: string; kind: string; name: string; uid: string }): Promise<boolean> => {
    const ref = refFor(owner.apiVersion, owner.kind);
    if (!ref) return true; // an owner kind we cannot see: never collect on its account
    try {
      const o = await ctx.client.get(ref, ref.namespaced ? (dep.namespace ?? '') : '', owner.name);
      return o.metadata.uid === owner.uid;
    } catch (e) {
      if (isStatusCode(e, 404)) return false;
      throw e;
    }
  };

  const apply = async (a: GcAction, byUid: Map<string, GcObject>): Promise<void> => {
    const ref = refFor(a.target.apiVersion, a.target.kind);
    if (!ref) return;
    const ns = a.target.namespace ?? '';
    if (a.action === 'delete') {
      const obj = byUid.get(a.target.uid);
      // Foreground deletion of an owner (propagationPolicy from a waiting owner) needs no check;
      // a delete because owners are gone is confirmed against the API server first.
      for (const r of obj?.ownerReferences ?? []) {
        const cached = byUid.get(r.uid);
        if (cached && !cached.deletionTimestamp) return;
        if (!cached && await ownerExists(a.target, r)) return;
      }
      log.info({ kind: a.target.kind, namespace: ns, name: a.target.name, policy: a.propagationPolicy }, 'deleting object whose owners are gone');
      await ctx.client.delete(ref, ns, a.target.name, { propagationPolicy: a.propagationPolicy, preconditions: { uid: a.target.uid } })
        .catch((e: unknown) => { if (!isStatusCode(e, 404) && !isStatusCode(e, 409)) throw e; });
      return;
    }
    if (a.action === 'removeOwnerReferences') {
      const obj = byUid.get(a.target.uid);
      const drop = new Set<string>();
      for (const uid of a.ownerUids) {
        const r = obj?.ownerReferences?.find((x) => x.uid === uid);
        const cached = byUid.get(uid);
        if (r && !cached && await ownerExists(a.target, r)) continue;
        drop.add(uid);
      }
      if (drop.size === 0) return;
      const kept = (obj?.ownerReferences ?? []).filter((r) => !drop.has(r.uid));
      await ctx.client.patch(ref, ns, a.target.name, { metadata: { ownerReferences: kept.length ? kept : null } }, 'merge')
        .catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
      return;
    }
    const obj = byUid.get(a.target.uid);
    const finalizers = (obj?.finalizers ?? []).filter((f) => f !== a.finalizer);
    await ctx.client.patch(ref, ns, a.target.name, { metadata: { finalizers: finalizers.length ? finalizers : null } }, 'merge')
      .catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
  };

  const sync = async (): Promise<void> => {
    const objects: GcObject[] = [];
    for (const { apiVersion, kind, inf } of informers) for (const o of inf.list()) objects.push(toGcObject(apiVersion, kind, o));
    const byUid = new Map(objects.map((o) => [o.uid, o]));
    const actions = planGarbageCollection(objects);
    const results = await Promise.allSettled(actions.map((a) => apply(a, byUid)));
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length) throw new Error(`${failed.length} garbage collection actions failed: ${String((failed[0] as PromiseRejectedResult).reason)}`);
  };

  const q = startQueue(ctx, 'garbagecollector', sync);
  const poke = (): void => q.queue.add(PASS_KEY);
  // A pass costs a walk over every cached object, so only changes that can call for an action
  // wake the collector: an object being deleted or carrying a GC finalizer, an owner reference
  // to a UID the caches do not hold or that changed, or the removal of an owner or a dependent.
  const known = new Set<string>();
  const referenced = new Map<string, number>();
  const refs = (o: ApiObject): Array<{ uid: string }> => ((o.metadata as { ownerReferences?: Array<{ uid: string }> }).ownerReferences ?? []);
  const needsPass = (o: ApiObject): boolean => {
    const md = o.metadata as { deletionTimestamp?: string; finalizers?: string[] };
    if (md.deletionTimestamp || (md.finalizers ?? []).some((f) => f === 'orphan' || f === 'foregroundDeletion')) return true;
    return refs(o).some((r) => !known.has(r.uid));
  };
  const track = (o: ApiObject, delta: 1 | -1): void => {
    for (const r of refs(o)) {
      const n = (referenced.get(r.uid) ?? 0) + delta;
      if (n > 0) referenced.set(r.uid, n);
      else referenced.delete(r.uid);
    }
  };
  for (const { inf } of informers) {
    inf.addHandlers({
      onAdd: (o) => {
        known.add(String(o.metadata.uid));
        track(o, 1);
        if (needsPass(o)) poke();
      },
      onUpdate: (o, n) => {
        track(o, -1);
        track(n, 1);
        if (needsPass(n) || JSON.stringify(refs(o)) !== JSON.stringify(refs(n))) poke();
      },
      onDelete: (o) => {
        const uid = String(o.metadata.uid);
        known.delete(uid);
        track(o, -1);
        // Its owners may be waiting for it (foreground deletion), or it owned something.
        if (referenced.has(uid) || refs(o).length > 0) poke();
      },
    });
  }
  return { stop: () => q.stop() };
}
