// What the proxy programs, computed from Services and EndpointSlices: one entry per Service
// port (kube-proxy's ServicePortName, pkg/proxy/types.go) with its ClusterIP, node port and
// ready endpoints (pkg/proxy/endpointslicecache.go: an endpoint without a `ready` condition
// counts as ready; a slice is tied to its Service by the `kubernetes.io/service-name` label).
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

/** Label naming an EndpointSlice's Service (discovery/v1 LabelServiceName). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** One backend of a Service port. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
}

/** One port of one Service, as the proxy programs it. */
export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** The Service port's name ('' when the Service has a single unnamed port). */
  portName: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** IPv4 ClusterIP. */
  clusterIP: string;
  port: number;
  /** Node port for NodePort and LoadBalancer Services. */
  nodePort?: number;
  /** Ready endpoints, sorted by address then port, without duplicates. */
  endpoints: ProxyEndpoint[];
}

/** kube-proxy's ServicePortName.String(): `ns/name` plus `:portName` when the port is named. */
export function servicePortName(sp: Pick<ServicePortInfo, 'namespace' | 'name' | 'portName'>): string {
  return `${sp.namespace}/${sp.name}${sp.portName ? `:${sp.portName}` : ''}`;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True for a dotted-quad IPv4 address. */
export function isIPv4(s: string | undefined): s is string {
  const m = s ? IPV4.exec(s) : null;
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/**
 * The Service ports to program. Skips Services without an IPv4 ClusterIP (headless, ExternalName,
 * IPv6-only); endpoints come from the Service's IPv4 slices, matched to the Service port by port
 * name and protocol, ready ones only.
 */
export function buildServicePorts(services: Service[], slices: EndpointSlice[]): ServicePortInfo[] {
  const slicesBySvc = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata?.namespace ?? ''}/${svc}`;
    const list = slicesBySvc.get(key) ?? [];
    list.push(s);
    slicesBySvc.set(key, list);
  }
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    if (!spec || spec.type === 'ExternalName') continue;
    const clusterIP = spec.clusterIP;
    if (!isIPv4(clusterIP)) continue;
    const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP') as ServicePortInfo['protocol'];
      const portName = p.name ?? '';
      const seen = new Set<string>();
      const endpoints: ProxyEndpoint[] = [];
      for (const slice of slicesBySvc.get(`${namespace}/${name}`) ?? []) {
        const sp = (slice.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === protocol);
        if (!sp?.port) continue;
        for (const ep of slice.endpoints ?? []) {
          if (ep.conditions?.ready === false) continue;
          const ip = ep.addresses?.[0];
          if (!isIPv4(ip)) continue;
          const key = `${ip}:${sp.port}`;
          if (seen.has(key)) continue;
          seen.add(key);
          endpoints.push({ ip, port: sp.port });
        }
      }
      endpoints.sort((a, b) => compareIPv4(a.ip, b.ip) || a.port - b.port);
      out.push({
        namespace, name, portName, protocol, clusterIP, port: p.port,
        nodePort: withNodePorts && p.nodePort ? p.nodePort : undefined,
        endpoints,
      });
    }
  }
  out.sort((a, b) => servicePortName(a).localeCompare(servicePortName(b)) || a.protocol.localeCompare(b.protocol));
  return out;
}

function compareIPv4(a: string, b: string): number {
  const na = a.split('.').map(Number);
  const nb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (na[i] !== nb[i]) return na[i] - nb[i];
  return 0;
}
