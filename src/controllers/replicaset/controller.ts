// The running replicaset controller (replica_set.go): ReplicaSets and pods from shared
// informers; sync(key) claims pods, creates or deletes them as planReplicaSet decides (creates in
// slow-start batches, guarded by expectations so a lagging cache never doubles them), records
// SuccessfulCreate/SuccessfulDelete events and writes the status.
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import { isStatusCode, RESOURCES, type ApiObject } from '../../client/index.js';
import { involvedObject } from '../../client/events.js';
import { claimObjects } from '../claim.js';
import { keyOf, splitKey, startQueue, type ControllerContext, type RunningController } from '../context.js';
import { Expectations } from '../expectations.js';
import { canonicalJson, controllerOf } from '../objects.js';
import { createdEvent, deletedEvent, failedCreateEvent, failedDeleteEvent, planReplicaSet, podFromTemplate, replicaSetStatus } from './sync.js';

const COMPONENT = 'replicaset-controller';

/** Starts the replicaset controller. */
export function startReplicaSetController(ctx: ControllerContext): RunningController {
  const rsInformer = ctx.informers.for<ApiObject & ReplicaSet>(RESOURCES.replicasets);
  const podInformer = ctx.informers.for<ApiObject & Pod>(RESOURCES.pods);
  const expectations = new Expectations(ctx.clock);
  const recorder = ctx.recorder(COMPONENT);
  const log = ctx.log.child({ controller: 'replicaset' });

  const sync = async (key: string): Promise<{ requeueAfterMs?: number } | void> => {
    const { namespace, name } = splitKey(key);
    const cached = rsInformer.get(namespace, name);
    if (!cached) {
      expectations.delete(key);
      return;
    }
    const rs = cached as ReplicaSet & ApiObject;
    const rsRef = involvedObject({ ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    const selector = labelSelectorFromObject(rs.spec?.selector);
    const candidates = podInformer.listNamespace(namespace).filter((p) => {
      const owner = controllerOf(p.metadata);
      return owner ? owner.uid === rs.metadata.uid : selector.matches(p.metadata.labels ?? {});
    });
    const claim = claimObjects(rs, rs.spec?.selector, candidates);
    for (const p of claim.adopt) {
      await ctx.client.patch(RESOURCES.pods, namespace, String(p.metadata?.name), {
        metadata: { ownerReferences: [...(p.metadata?.ownerReferences ?? []), { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }] },
      }, 'merge');
    }
    for (const p of claim.release) {
      await ctx.client.patch(RESOURCES.pods, namespace, String(p.metadata?.name), {
        metadata: { ownerReferences: (p.metadata?.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid) },
      }, 'merge').catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
    }
    const pods = claim.owned;

    // Pods of sibling ReplicaSets (same controlling owner) rank deletions by node crowding.
    const owner = controllerOf(rs.metadata);
    const siblingUids = new Set(owner
      ? rsInformer.listNamespace(namespace).filter((o) => controllerOf(o.metadata)?.uid === owner.uid).map((o) => o.metadata.uid)
      : [rs.metadata.uid]);
    const related = podInformer.listNamespace(namespace).filter((p) => siblingUids.has(controllerOf(p.metadata)?.uid));

    const now = ctx.clock.now();
    let manageError: { diff: number; message: string } | undefined;
    let requeueAfterMs: number | undefined;
    if (expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      const plan = planReplicaSet(rs, pods, related, now);
      requeueAfterMs = plan.requeueAfterMs;
      if (plan.create > 0) {
        expectations.expectCreations(key, plan.create);
        let skipped = plan.create;
        for (const batch of plan.createBatches) {
          const results = await Promise.allSettled(Array.from({ length: batch }, () => ctx.client.create<ApiObject>(RESOURCES.pods, namespace, podFromTemplate(rs) as ApiObject)));
          skipped -= batch;
          let failed = false;
          for (const r of results) {
            if (r.status === 'fulfilled') {
              const e = createdEvent(String(r.value.metadata.name));
              recorder.event(rsRef, e.type, e.reason, e.message);
            } else {
              failed = true;
              expectations.creationObserved(key);
              const msg = (r.reason as Error).message;
              // A namespace being terminated refuses creates; upstream records no event for it.
              if (!/because it is being terminated/.test(msg)) {
                const e = failedCreateEvent(msg);
                recorder.event(rsRef, e.type, e.reason, e.message);
              }
              manageError = { diff: -plan.create, message: msg };
            }
          }
          if (failed) break;
        }
        for (let i = 0; i < skipped; i++) expectations.creationObserved(key);
      } else if (plan.deletes.length > 0) {
        expectations.expectDeletions(key, plan.deletes.map((p) => String(p.metadata?.uid)));
        await Promise.all(plan.deletes.map(async (p) => {
          const podName = String(p.metadata?.name);
          try {
            await ctx.client.delete(RESOURCES.pods, namespace, podName);
            const e = deletedEvent(podName);
            recorder.event(rsRef, e.type, e.reason, e.message);
          } catch (err) {
            expectations.deletionObserved(key, String(p.metadata?.uid));
            if (isStatusCode(err, 404)) return;
            const e = failedDeleteEvent((err as Error).message);
            recorder.event(rsRef, e.type, e.reason, e.message);
            manageError = { diff: 1, message: (err as Error).message };
          }
        }));
      }
    }
    const status = replicaSetStatus(rs, pods, now, manageError);
    if (canonicalJson(status) !== canonicalJson(rs.status ?? {})) {
      try {
        await ctx.client.patch(RESOURCES.replicasets, namespace, name, { status }, 'merge', 'status');
      } catch (e) {
        if (!isStatusCode(e, 404)) throw e;
      }
    }
    if (manageError) throw new Error(manageError.message);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  };

  const q = startQueue(ctx, 'replicaset', sync, { workers: 5 });
  const enqueue = (rs: ApiObject): void => q.queue.add(keyOf(rs.metadata));

  // Pod events reach the ReplicaSet that controls the pod, or (for orphans) every ReplicaSet
  // whose selector matches, which may adopt it.
  const ownerKeys = (pod: ApiObject): string[] => {
    const ref = controllerOf(pod.metadata as Pod['metadata']);
    const ns = pod.metadata.namespace ?? '';
    if (ref) return ref.kind === 'ReplicaSet' ? [`${ns}/${ref.name}`] : [];
    if (pod.metadata.deletionTimestamp) return [];
    return rsInformer.listNamespace(ns)
      .filter((rs) => labelSelectorFromObject(rs.spec?.selector).matches(pod.metadata.labels ?? {}))
      .map((rs) => keyOf(rs.metadata));
  };
  rsInformer.addHandlers({
    onAdd: enqueue,
    onUpdate: (_o, n) => enqueue(n),
    onDelete: (o) => { expectations.delete(keyOf(o.metadata)); enqueue(o); },
  });
  podInformer.addHandlers({
    onAdd: (p) => {
      for (const k of ownerKeys(p)) {
        if (controllerOf(p.metadata as Pod['metadata'])) expectations.creationObserved(k);
        q.queue.add(k);
      }
    },
    onUpdate: (o, n) => {
      const keys = new Set([...ownerKeys(o), ...ownerKeys(n)]);
      // A pod marked for deletion counts as deleted for expectations (replica_set.go updatePod).
      const nowDeleting = !!n.metadata.deletionTimestamp && !o.metadata.deletionTimestamp;
      for (const k of keys) {
        if (nowDeleting) expectations.deletionObserved(k, String(n.metadata.uid));
        q.queue.add(k);
      }
    },
    onDelete: (p) => {
      for (const k of ownerKeys(p)) {
        expectations.deletionObserved(k, String(p.metadata.uid));
        q.queue.add(k);
      }
    },
  });
  return {
    async stop() {
      await q.stop();
      await recorder.flush();
      log.debug('stopped');
    },
  };
}
