// Pod resource requests and node allocatable as the scheduler counts them
// (k8s.io/kubernetes/pkg/scheduler/framework/types.go, pkg/api/v1/resource/helpers.go).
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity } from '../api/quantity.js';

/** Requests in scheduler units: cpu in millicores, everything else in whole units (bytes, count). */
export type ResourceList = Record<string, number>;

/** schedutil.DefaultMilliCPURequest: what a container without a cpu request counts as for scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** schedutil.DefaultMemoryRequest: 200Mi, likewise. */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function amount(resource: string, q: string | number | undefined): number {
  if (q === undefined) return 0;
  const parsed = parseQuantity(q);
  if (!parsed) return 0;
  const milli = Number(milliValue(parsed));
  return resource === 'cpu' ? milli : Math.ceil(milli / 1000);
}

function toList(m: Record<string, string | number> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = amount(k, v);
  return out;
}

function addInto(a: ResourceList, b: ResourceList): void {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
}

function maxInto(a: ResourceList, b: ResourceList): void {
  for (const [k, v] of Object.entries(b)) a[k] = Math.max(a[k] ?? 0, v);
}

/**
 * resource.PodRequests: the sum of the containers' requests (limits stand in where a request is
 * missing, as API defaulting does), at least the largest init container's, plus pod overhead.
 * Restartable init containers (sidecars) add to the sum.
 */
export function podRequests(pod: Pod, nonZero = false): ResourceList {
  const reqs = (c: { resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> } }): ResourceList => {
    const r = toList({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) });
    if (nonZero) {
      if (!r.cpu) r.cpu = DEFAULT_MILLI_CPU_REQUEST;
      if (!r.memory) r.memory = DEFAULT_MEMORY_REQUEST;
    }
    return r;
  };
  const sum: ResourceList = {};
  for (const c of pod.spec?.containers ?? []) addInto(sum, reqs(c));
  const sidecars: ResourceList = {};
  const initMax: ResourceList = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const r = reqs(c);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      addInto(sum, r);
    } else {
      const withSidecars = { ...sidecars };
      addInto(withSidecars, r);
      maxInto(initMax, withSidecars);
    }
  }
  maxInto(sum, initMax);
  addInto(sum, toList(pod.spec?.overhead));
  return sum;
}

/** The node's allocatable (capacity when allocatable is absent), in scheduler units. */
export function allocatable(node: Node): ResourceList {
  return toList(node.status?.allocatable ?? node.status?.capacity);
}

// Scheduler caches hold immutable pod objects (an update replaces the object), so a pod's
// requests are parsed once per object rather than once per node per plugin per decision.
const requestCache = [new WeakMap<Pod, ResourceList>(), new WeakMap<Pod, ResourceList>()];

function cachedRequests(pod: Pod, nonZero: boolean): ResourceList {
  const cache = requestCache[nonZero ? 1 : 0];
  let r = cache.get(pod);
  if (!r) cache.set(pod, (r = podRequests(pod, nonZero)));
  return r;
}

/** Sum of the requests of the given pods (terminal pods excluded, as the scheduler cache does). */
export function requestedOn(pods: Pod[], nonZero = false): ResourceList {
  const out: ResourceList = {};
  for (const p of pods) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    addInto(out, cachedRequests(p, nonZero));
  }
  return out;
}
