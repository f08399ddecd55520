// The running namespace controller (namespace_controller.go + deletion/): a Terminating
// namespace has its contents deleted through the API (so pods get their graceful deletion and
// owners their garbage collection), its NamespaceContentRemaining / NamespaceFinalizersRemaining
// conditions written, and once empty the `kubernetes` finalizer removed through the finalize
// subresource. berth's API server also empties and removes a Terminating namespace itself;
// each step here tolerates the object being gone already, so both can run.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { isStatusCode, RESOURCES, type ApiObject, type ResourceRef } from '../../client/index.js';
import { startQueue, type ControllerContext, type RunningController } from '../context.js';
import { KUBERNETES_FINALIZER, planNamespaceDeletion, type NamespaceContent } from './deletion.js';

/** Namespaced kinds emptied on deletion (events last, as they describe the others). */
const CONTENT: ResourceRef[] = [
  RESOURCES.deployments, RESOURCES.replicasets, RESOURCES.pods, RESOURCES.services, RESOURCES.endpoints,
  RESOURCES.endpointslices, RESOURCES.secrets, RESOURCES.configmaps, RESOURCES.serviceaccounts, RESOURCES.leases,
  RESOURCES.events,
];

/** Starts the namespace controller. */
export function startNamespaceController(ctx: ControllerContext): RunningController {
  const nsInformer = ctx.informers.for<ApiObject & Namespace>(RESOURCES.namespaces);

  const sync = async (name: string): Promise<{ requeueAfterMs?: number } | void> => {
    const ns = nsInformer.get('', name);
    if (!ns?.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return;
    const content: NamespaceContent[] = [];
    const errors: string[] = [];
    for (const ref of CONTENT) {
      try {
        const list = await ctx.client.list(ref, name);
        content.push({
          group: ref.group, resource: ref.resource,
          items: list.items.map((o) => ({ name: String(o.metadata.name), finalizers: o.metadata.finalizers as string[] | undefined, deletionTimestamp: o.metadata.deletionTimestamp as string | undefined })),
        });
      } catch (e) {
        if (isStatusCode(e, 404)) return; // the namespace is gone
        errors.push(`${ref.resource}.${ref.group}: ${(e as Error).message}`);
      }
    }
    const plan = planNamespaceDeletion(ns, content, ctx.clock.now(), errors);
    const refOf = new Map(CONTENT.map((r) => [`${r.group}/${r.resource}`, r]));
    await Promise.all(plan.deletes.map((d) => ctx.client.delete(refOf.get(`${d.group}/${d.resource}`) as ResourceRef, name, d.name, { propagationPolicy: 'Background' })
      .catch((e: unknown) => { if (!isStatusCode(e, 404) && !isStatusCode(e, 409)) errors.push((e as Error).message); })));
    if (plan.conditionsChanged) {
      await ctx.client.patch(RESOURCES.namespaces, '', name, { status: { conditions: plan.conditions } }, 'merge', 'status')
        .catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
    }
    if (plan.finalize) {
      const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
      try {
        await ctx.client.request('PUT', `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, { ...ns, spec: { ...ns.spec, finalizers } });
      } catch (e) {
        // 404: the namespace is gone (the API server removed it); 405: a server without the
        // finalize subresource, which removes emptied namespaces itself.
        if (!isStatusCode(e, 404) && !isStatusCode(e, 405)) throw e;
      }
      return;
    }
    // Upstream re-checks a namespace with content left after an estimate; 1 s keeps it prompt.
    return { requeueAfterMs: 1000 };
  };

  const q = startQueue(ctx, 'namespace', sync, { workers: 2 });
  const enqueue = (ns: ApiObject): void => { if (ns.metadata.deletionTimestamp) q.queue.add(String(ns.metadata.name)); };
  nsInformer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  return { stop: () => q.stop() };
}
