// The running deployment controller (deployment_controller.go): Deployments, ReplicaSets and
// pods from shared informers; sync(key) claims the Deployment's ReplicaSets, runs one
// planDeployment pass and applies its writes in upstream's order (create the new ReplicaSet,
// scale/annotate, delete history beyond revisionHistoryLimit, then the Deployment's revision
// annotation and status), recording ScalingReplicaSet events on the Deployment.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import { isStatusCode, RESOURCES, type ApiObject } from '../../client/index.js';
import { involvedObject } from '../../client/events.js';
import { claimObjects } from '../claim.js';
import { keyOf, splitKey, startQueue, type ControllerContext, type RunningController } from '../context.js';
import { controllerOf } from '../objects.js';
import { planDeployment, resolveCreateConflict } from './plan.js';

const COMPONENT = 'deployment-controller';
/** deployment_controller.go maxRetries. */
const MAX_RETRIES = 15;

/** Starts the deployment controller. */
export function startDeploymentController(ctx: ControllerContext): RunningController {
  const dInformer = ctx.informers.for<ApiObject & Deployment>(RESOURCES.deployments);
  const rsInformer = ctx.informers.for<ApiObject & ReplicaSet>(RESOURCES.replicasets);
  const podInformer = ctx.informers.for<ApiObject & Pod>(RESOURCES.pods);
  const recorder = ctx.recorder(COMPONENT);

  const sync = async (key: string): Promise<{ requeueAfterMs?: number } | void> => {
    const { namespace, name } = splitKey(key);
    const d = dInformer.get(namespace, name);
    if (!d) return;
    const dUid = d.metadata.uid;
    const selector = labelSelectorFromObject(d.spec?.selector);
    const candidates = rsInformer.listNamespace(namespace).filter((rs) => {
      const owner = controllerOf(rs.metadata);
      return owner ? owner.uid === dUid : selector.matches(rs.metadata.labels ?? {});
    });
    const claim = claimObjects(d, d.spec?.selector, candidates);
    for (const rs of claim.adopt) {
      await ctx.client.patch(RESOURCES.replicasets, namespace, String(rs.metadata?.name), {
        metadata: { ownerReferences: [...(rs.metadata?.ownerReferences ?? []), { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: dUid, controller: true, blockOwnerDeletion: true }] },
      }, 'merge');
    }
    for (const rs of claim.release) {
      await ctx.client.patch(RESOURCES.replicasets, namespace, String(rs.metadata?.name), {
        metadata: { ownerReferences: (rs.metadata?.ownerReferences ?? []).filter((r) => r.uid !== dUid) },
      }, 'merge').catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
    }
    const rss = claim.owned;
    const rsUids = new Set(rss.map((rs) => rs.metadata?.uid));
    const pods = podInformer.listNamespace(namespace).filter((p) => rsUids.has(controllerOf(p.metadata)?.uid));

    const plan = planDeployment(d, rss, pods, ctx.clock.now());
    let status = plan.status;
    for (const rs of plan.creates) {
      try {
        await ctx.client.create(RESOURCES.replicasets, namespace, rs as ApiObject);
      } catch (e) {
        if (!isStatusCode(e, 409)) throw e;
        const existing = await ctx.client.get<ApiObject & ReplicaSet>(RESOURCES.replicasets, namespace, String(rs.metadata?.name));
        const r = resolveCreateConflict(d, existing);
        if (!r.adopt) {
          await ctx.client.patch(RESOURCES.deployments, namespace, name, { status: { collisionCount: r.status.collisionCount } }, 'merge', 'status');
          throw new Error(`hash collision for ReplicaSet ${rs.metadata?.name}`, { cause: e });
        }
        // Our own ReplicaSet the cache has not shown yet: the next pass sees it.
        return { requeueAfterMs: 0 };
      }
    }
    for (const rs of plan.updates) await ctx.client.update(RESOURCES.replicasets, rs as ApiObject);
    for (const rsName of plan.deletes) {
      await ctx.client.delete(RESOURCES.replicasets, namespace, rsName).catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
    }
    for (const e of plan.events) recorder.event(involvedObject({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }), e.type, e.reason, e.message);
    if (plan.annotationsChanged) {
      const patch: Record<string, string | null> = { ...plan.annotations };
      for (const k of Object.keys(d.metadata.annotations ?? {})) if (!(k in plan.annotations)) patch[k] = null;
      await ctx.client.patch(RESOURCES.deployments, namespace, name, { metadata: { annotations: patch } }, 'merge');
    }
    if (plan.statusChanged) {
      status = { ...status };
      await ctx.client.patch(RESOURCES.deployments, namespace, name, { status }, 'merge', 'status').catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  };

  const q = startQueue(ctx, 'deployment', sync, { workers: 5, maxRetries: MAX_RETRIES });
  const enqueue = (d: ApiObject): void => q.queue.add(keyOf(d.metadata));
  const ownerOfRs = (rs: ApiObject): string[] => {
    const ref = controllerOf(rs.metadata as ReplicaSet['metadata']);
    const ns = rs.metadata.namespace ?? '';
    if (ref) return ref.kind === 'Deployment' ? [`${ns}/${ref.name}`] : [];
    return dInformer.listNamespace(ns)
      .filter((d) => labelSelectorFromObject(d.spec?.selector).matches(rs.metadata.labels ?? {}))
      .map((d) => keyOf(d.metadata));
  };
  dInformer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  rsInformer.addHandlers({
    onAdd: (rs) => { for (const k of ownerOfRs(rs)) q.queue.add(k); },
    onUpdate: (o, n) => { for (const k of new Set([...ownerOfRs(o), ...ownerOfRs(n)])) q.queue.add(k); },
    onDelete: (rs) => { for (const k of ownerOfRs(rs)) q.queue.add(k); },
  });
  // Recreate waits for old pods to go: their deletion wakes the Deployment (deletePod upstream).
  podInformer.addHandlers({
    onDelete: (p) => {
      const ref = controllerOf(p.metadata as Pod['metadata']);
      if (ref?.kind !== 'ReplicaSet') return;
      const rs = rsInformer.get(p.metadata.namespace ?? '', ref.name);
      if (rs) for (const k of ownerOfRs(rs)) q.queue.add(k);
    },
  });
  return {
    async stop() {
      await q.stop();
      await recorder.flush();
    },
  };
}
