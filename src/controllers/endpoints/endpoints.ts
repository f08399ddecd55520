// Endpoints and EndpointSlices for a Service from its pods, as upstream's endpoints and
// endpointslice controllers compute them (k8s.io/kubernetes/pkg/controller/endpoint,
// pkg/controller/endpointslice, staging/src/k8s.io/endpointslice/utils.go).
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import { canonicalJson, isPodReady } from '../objects.js';

/** Label marking Endpoints/EndpointSlices of a headless Service. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** Label naming a slice's Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Label naming the controller that manages a slice. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** Value of MANAGED_BY_LABEL for slices this controller owns. */
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** Endpoints keeps at most this many addresses (endpoints_controller.go maxCapacity). */
export const ENDPOINTS_MAX_CAPACITY = 1000;
/** Annotation set when addresses were truncated at ENDPOINTS_MAX_CAPACITY. */
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** Default endpoints per slice (--max-endpoints-per-slice). */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/**
 * podutil.FindPort: the pod's port for a Service port's targetPort (a number as is; a name looked
 * up among container ports with the same protocol). undefined when the name is not found.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** endpointsliceutil.ShouldPodBeInEndpoints: not terminal, has an IP, and (unless included) not terminating. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

function podIP(pod: Pod, family: 'IPv4' | 'IPv6'): string | undefined {
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].filter((x): x is string => !!x);
  return ips.find((ip) => (family === 'IPv6') === ip.includes(':'));
}

function serviceFamily(svc: Service): 'IPv4' | 'IPv6' {
  const f = svc.spec?.ipFamilies?.[0];
  if (f === 'IPv6') return 'IPv6';
  return svc.spec?.clusterIP?.includes(':') ? 'IPv6' : 'IPv4';
}

function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function selectedPods(svc: Service, pods: Pod[]): Pod[] {
  const selector = labelSelectorFromObject({ matchLabels: svc.spec?.selector ?? {} });
  const ns = svc.metadata?.namespace;
  return pods.filter((p) => (p.metadata?.namespace ?? ns) === ns && selector.matches(p.metadata?.labels ?? {}));
}

// endpointsliceutil.ShouldSetHostname: the pod names this Service as its subdomain (headless or not).
function hostnameFor(svc: Service, pod: Pod): string | undefined {
  const h = pod.spec?.hostname;
  const sameNamespace = (pod.metadata?.namespace ?? svc.metadata?.namespace) === svc.metadata?.namespace;
  if (h && pod.spec?.subdomain === svc.metadata?.name && sameNamespace) return h;
  return undefined;
}

function serviceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

const compareStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * endpoints.RepackSubsets: one subset per distinct port set, addresses deduplicated and sorted by
 * IP then UID. (Upstream orders ports and subsets by a hash of their Go structs; we order by name,
 * port and canonical form, which only matters for Services with several port sets.)
 */
function repack(entries: Array<{ addr: EndpointAddress; ports: EndpointPort[]; ready: boolean }>): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: Map<string, EndpointAddress>; notReady: Map<string, EndpointAddress> }>();
  for (const e of entries) {
    const ports = [...e.ports].sort((a, b) => compareStr(a.name ?? '', b.name ?? '') || a.port - b.port);
    const key = canonicalJson(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: new Map(), notReady: new Map() }));
    const id = `${e.addr.ip}/${e.addr.targetRef?.uid ?? ''}`;
    (e.ready ? g.ready : g.notReady).set(id, e.addr);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress): number => compareStr(a.ip, b.ip) || compareStr(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
  return [...groups.entries()].sort(([a], [b]) => compareStr(a, b)).map(([, g]) => {
    const s: EndpointSubset = {};
    if (g.ready.size) s.addresses = [...g.ready.values()].sort(byIp);
    if (g.notReady.size) s.notReadyAddresses = [...g.notReady.values()].sort(byIp);
    if (g.ports.length) s.ports = g.ports;
    return s;
  });
}

/**
 * The Endpoints object the endpoints controller keeps for a Service, or undefined for a Service
 * without a selector (whose Endpoints are the user's). Ready pods (or every pod when
 * publishNotReadyAddresses) go to addresses, the others to notReadyAddresses; terminating pods
 * are left out unless publishNotReadyAddresses.
 */
export function computeEndpoints(svc: Service, pods: Pod[]): Endpoints | undefined {
  if (!svc.spec?.selector) return undefined;
  const tolerateUnready = svc.spec.publishNotReadyAddresses === true;
  const family = serviceFamily(svc);
  const entries: Array<{ addr: EndpointAddress; ports: EndpointPort[]; ready: boolean }> = [];
  for (const pod of selectedPods(svc, pods)) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIP(pod, family);
    if (!ip) continue;
    const addr: EndpointAddress = {
      ip,
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? svc.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    };
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    const hostname = hostnameFor(svc, pod);
    if (hostname) addr.hostname = hostname;
    const ready = tolerateUnready || isPodReady(pod);
    if ((svc.spec.ports ?? []).length === 0) {
      if (isHeadless(svc)) entries.push({ addr, ports: [], ready });
      continue;
    }
    const ports = endpointPorts(svc, pod);
    if (ports.length) entries.push({ addr, ports, ready });
  }
  let subsets = repack(entries);
  const annotations: Record<string, string> = {};
  let total = 0;
  for (const s of subsets) total += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  if (total > ENDPOINTS_MAX_CAPACITY) {
    annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    subsets = truncate(subsets, ENDPOINTS_MAX_CAPACITY);
  }
  const ep: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: svc.metadata?.name, namespace: svc.metadata?.namespace, labels: serviceLabels(svc) },
  };
  if (Object.keys(annotations).length) ep.metadata!.annotations = annotations;
  if (subsets.length) ep.subsets = subsets;
  return ep;
}

// endpoints_controller.go truncateEndpoints: ready addresses are kept before not-ready ones.
function truncate(subsets: EndpointSubset[], max: number): EndpointSubset[] {
  let left = max;
  const out = subsets.map((s) => ({ ...s }));
  for (const s of out) {
    const keep = Math.min(left, s.addresses?.length ?? 0);
    if (s.addresses) s.addresses = s.addresses.slice(0, keep);
    left -= keep;
  }
  for (const s of out) {
    const keep = Math.min(left, s.notReadyAddresses?.length ?? 0);
    if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, keep);
    left -= keep;
  }
  return out;
}

/**
 * endpointsliceutil podToEndpoint: one endpoint per pod with upstream's conditions
 * (ready = publishNotReady || (serving && !terminating); serving = ready pod or publishNotReady;
 * terminating = being deleted). `zoneOf` maps a node to its topology.kubernetes.io/zone.
 */
export function podToEndpoint(svc: Service, pod: Pod, ip: string, zoneOf?: (node: string) => string | undefined): Endpoint {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const serving = publish || isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ep: Endpoint = {
    addresses: [ip],
    conditions: { ready: publish || (serving && !terminating), serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? svc.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  const node = pod.spec?.nodeName;
  if (node) {
    ep.nodeName = node;
    const zone = zoneOf?.(node);
    if (zone) ep.zone = zone;
  }
  const hostname = hostnameFor(svc, pod);
  if (hostname) ep.hostname = hostname;
  return ep;
}

/**
 * The EndpointSlices the endpointslice controller wants for a Service: endpoints grouped by their
 * port mapping, at most MAX_ENDPOINTS_PER_SLICE per slice, named by generateName `<svc>-`, owned
 * by the Service. Terminating pods are included (with their conditions). [] for a Service
 * without a selector.
 */
export function computeEndpointSlices(svc: Service, pods: Pod[], opts: { maxPerSlice?: number; zoneOf?: (node: string) => string | undefined } = {}): EndpointSlice[] {
  if (!svc.spec?.selector) return [];
  const family = serviceFamily(svc);
  const max = opts.maxPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  for (const pod of selectedPods(svc, pods)) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIP(pod, family);
    if (!ip) continue;
    const ports = (svc.spec.ports ?? []).length ? endpointPorts(svc, pod) : [];
    if ((svc.spec.ports ?? []).length && ports.length === 0) continue;
    const key = canonicalJson(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(podToEndpoint(svc, pod, ip, opts.zoneOf));
  }
  const labels = { ...serviceLabels(svc), [SERVICE_NAME_LABEL]: svc.metadata?.name ?? '', [MANAGED_BY_LABEL]: MANAGED_BY };
  const make = (ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata?.name}-`,
      namespace: svc.metadata?.namespace,
      labels: { ...labels },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata?.name ?? '', uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    addressType: family,
    endpoints,
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
  });
  const out: EndpointSlice[] = [];
  for (const [, g] of [...groups.entries()].sort(([a], [b]) => compareStr(a, b))) {
    const eps = [...g.endpoints].sort((a, b) => compareStr(a.addresses[0], b.addresses[0]));
    for (let i = 0; i < eps.length; i += max) out.push(make(g.ports, eps.slice(i, i + max)));
  }
  // reconciler.go: a Service with no endpoints still gets one empty placeholder slice.
  if (out.length === 0) out.push(make([], []));
  return out;
}
