// The running endpoints and endpointslice controllers: Services and pods from shared informers;
// sync(service key) computes the wanted Endpoints / EndpointSlices and writes only differences.
// Slices are matched to existing ones of the Service in order and updated in place; extra ones
// are deleted and missing ones created (upstream's reconciler packs more cleverly, but the
// resulting set of endpoints is the same).
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import { isStatusCode, RESOURCES, type ApiObject } from '../../client/index.js';
import { keyOf, splitKey, startQueue, type ControllerContext, type QueueController, type RunningController } from '../context.js';
import { canonicalJson } from '../objects.js';
import { MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, computeEndpointSlices, computeEndpoints } from './endpoints.js';

/** Pod changes reach every Service in the pod's namespace whose selector matches (old or new labels). */
function servicesFor(services: Array<ApiObject & Service>, pod: ApiObject): string[] {
  return services
    .filter((s) => s.spec?.selector && labelSelectorFromObject({ matchLabels: s.spec.selector }).matches(pod.metadata.labels ?? {}))
    .map((s) => keyOf(s.metadata));
}

function wire(ctx: ControllerContext, name: string, sync: (key: string) => Promise<void>): QueueController {
  const svcInformer = ctx.informers.for<ApiObject & Service>(RESOURCES.services);
  const podInformer = ctx.informers.for<ApiObject & Pod>(RESOURCES.pods);
  const q = startQueue(ctx, name, sync, { workers: 3 });
  const enqueue = (s: ApiObject): void => q.queue.add(keyOf(s.metadata));
  svcInformer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  const onPod = (pods: ApiObject[]): void => {
    const keys = new Set<string>();
    for (const p of pods) for (const k of servicesFor(svcInformer.listNamespace(p.metadata.namespace ?? ''), p)) keys.add(k);
    for (const k of keys) q.queue.add(k);
  };
  podInformer.addHandlers({ onAdd: (p) => onPod([p]), onUpdate: (o, n) => onPod([o, n]), onDelete: (p) => onPod([p]) });
  return q;
}

/** Starts the endpoints controller (core/v1 Endpoints: ready addresses and notReadyAddresses). */
export function startEndpointsController(ctx: ControllerContext): RunningController {
  const svcInformer = ctx.informers.for<ApiObject & Service>(RESOURCES.services);
  const podInformer = ctx.informers.for<ApiObject & Pod>(RESOURCES.pods);
  const epInformer = ctx.informers.for<ApiObject & Endpoints>(RESOURCES.endpoints);
  const sync = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    const svc = svcInformer.get(namespace, name);
    const existing = epInformer.get(namespace, name);
    if (!svc) {
      // The Service is gone: its Endpoints go too (the controller owns them without a reference).
      if (existing) await ctx.client.delete(RESOURCES.endpoints, namespace, name).catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
      return;
    }
    const want = computeEndpoints(svc, podInformer.listNamespace(namespace));
    if (!want) return;
    if (!existing) {
      try {
        await ctx.client.create(RESOURCES.endpoints, namespace, want as ApiObject);
      } catch (e) {
        if (!isStatusCode(e, 409)) throw e;
        const live = await ctx.client.get(RESOURCES.endpoints, namespace, name);
        await ctx.client.update(RESOURCES.endpoints, { ...live, subsets: want.subsets ?? [], metadata: { ...live.metadata, labels: want.metadata?.labels, annotations: want.metadata?.annotations } });
      }
      return;
    }
    const same = canonicalJson(existing.subsets ?? []) === canonicalJson(want.subsets ?? [])
      && canonicalJson(existing.metadata.labels ?? {}) === canonicalJson(want.metadata?.labels ?? {});
    if (same) return;
    await ctx.client.update(RESOURCES.endpoints, { ...existing, subsets: want.subsets ?? [], metadata: { ...existing.metadata, labels: want.metadata?.labels, annotations: want.metadata?.annotations } } as ApiObject);
  };
  const q = wire(ctx, 'endpoints', sync);
  epInformer.addHandlers({ onDelete: (ep) => q.queue.add(keyOf(ep.metadata)) });
  return { stop: () => q.stop() };
}

/** Starts the endpointslice controller (discovery.k8s.io/v1 EndpointSlices owned by the Service). */
export function startEndpointSliceController(ctx: ControllerContext): RunningController {
  const svcInformer = ctx.informers.for<ApiObject & Service>(RESOURCES.services);
  const podInformer = ctx.informers.for<ApiObject & Pod>(RESOURCES.pods);
  const sliceInformer = ctx.informers.for<ApiObject & EndpointSlice>(RESOURCES.endpointslices, { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` });
  const sync = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    const svc = svcInformer.get(namespace, name);
    // A deleted Service's slices go with it through the garbage collector (ownerReferences).
    if (!svc || svc.metadata.deletionTimestamp) return;
    // Slices are created with generateName, so a cache that has not seen the last create would
    // make a second one: read the Service's slices live.
    const listed = await ctx.client.list<ApiObject & EndpointSlice>(RESOURCES.endpointslices, namespace, { labelSelector: `${SERVICE_NAME_LABEL}=${name},${MANAGED_BY_LABEL}=${MANAGED_BY}` });
    const existing = listed.items.filter((s) => !s.metadata.deletionTimestamp).sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    const want = computeEndpointSlices(svc, podInformer.listNamespace(namespace));
    for (let i = 0; i < want.length; i++) {
      const w = want[i];
      const cur = existing[i];
      if (!cur) {
        await ctx.client.create(RESOURCES.endpointslices, namespace, w as unknown as ApiObject);
        continue;
      }
      const same = canonicalJson([cur.endpoints ?? [], cur.ports ?? [], cur.addressType, cur.metadata.labels]) === canonicalJson([w.endpoints ?? [], w.ports ?? [], w.addressType, w.metadata?.labels]);
      if (same) continue;
      const { generateName: _g, ...meta } = w.metadata ?? {};
      await ctx.client.update(RESOURCES.endpointslices, { ...cur, addressType: w.addressType, endpoints: w.endpoints, ports: w.ports, metadata: { ...cur.metadata, labels: meta.labels, ownerReferences: meta.ownerReferences } } as ApiObject);
    }
    for (const extra of existing.slice(want.length)) {
      await ctx.client.delete(RESOURCES.endpointslices, namespace, String(extra.metadata.name)).catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
    }
  };
  const q = wire(ctx, 'endpointslice', sync);
  sliceInformer.addHandlers({
    onDelete: (s) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc) q.queue.add(`${s.metadata.namespace}/${svc}`);
    },
  });
  return { stop: () => q.stop() };
}
