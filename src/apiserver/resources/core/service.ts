// core/v1 Service: defaults (SetDefaults_Service), ClusterIP and NodePort allocation (the
// service REST allocator in k/k pkg/registry/core/service: ipallocator / portallocator error
// texts), validation (ValidateService, ValidateServiceUpdate) and printService.
import { isIP } from 'node:net';
import type { FieldError } from '../../../api/field-errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, nameIsDNS1035Label, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy, StrategyContext } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column, formatLabels } from '../common/table.js';
import { ALL_VERBS, deepEqual } from '../common/util.js';
import { INVALID_IP_DETAIL, nonSpecialIPErrors } from './endpoints.js';

type Obj = Record<string, any>;

/** Service network settings: DESIGN.md's service CIDR and node-port range. */
export interface ServiceNetwork {
  /** IPv4 CIDR of ClusterIPs, e.g. 10.43.0.0/16. */
  serviceCIDR: string;
  nodePortMin: number;
  nodePortMax: number;
  /** The ClusterIP only the cluster DNS Service (in kube-system) may take. */
  dnsIP: string;
}

/** berth's defaults (DESIGN.md: service CIDR 10.43.0.0/16, DNS 10.43.0.10, ports 30000-32767). */
export const DEFAULT_SERVICE_NETWORK: ServiceNetwork = { serviceCIDR: '10.43.0.0/16', nodePortMin: 30000, nodePortMax: 32767, dnsIP: '10.43.0.10' };

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToIP(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
function cidrRange(cidr: string): { base: number; size: number } {
  const [ip, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return { base: Math.floor(ipToInt(ip) / size) * size, size };
}

function needsClusterIP(svc: Obj): boolean {
  return (svc.spec?.type ?? 'ClusterIP') !== 'ExternalName';
}
function needsNodePorts(svc: Obj): boolean {
  const t = svc.spec?.type;
  return t === 'NodePort' || (t === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false);
}
function isHeadless(spec: Obj): boolean {
  return spec.clusterIP === 'None';
}

function applyDefaults(obj: KubeObject): void {
  obj.spec ??= {};
  const spec = obj.spec as Obj;
  spec.type ||= 'ClusterIP';
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'ClientIP' && !spec.sessionAffinityConfig?.clientIP?.timeoutSeconds) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  for (const p of (spec.ports ?? []) as Obj[]) {
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type !== 'ExternalName' && !spec.internalTrafficPolicy) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
  if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
  if (spec.type !== 'ExternalName') {
    // Headless services without a selector default to RequireDualStack, trimmed to this
    // single-stack (IPv4) cluster's one family.
    spec.ipFamilyPolicy ||= isHeadless(spec) && !Object.keys(spec.selector ?? {}).length ? 'RequireDualStack' : 'SingleStack';
    if (!spec.ipFamilies?.length) spec.ipFamilies = ['IPv4'];
  }
}

function portKey(p: Obj): string {
  return `${p.port}/${p.protocol ?? 'TCP'}`;
}

/** Carries allocations over an update as the REST layer's patchAllocatedValues does. */
function keepAllocations(obj: KubeObject, old: KubeObject): void {
  const spec = obj.spec as Obj;
  const ospec = (old.spec ?? {}) as Obj;
  // normalizeClusterIPs: a changed clusterIP with unchanged clusterIPs rewrites clusterIPs.
  if (spec.clusterIP !== ospec.clusterIP && deepEqual(spec.clusterIPs, ospec.clusterIPs)) spec.clusterIPs = spec.clusterIP ? [spec.clusterIP] : undefined;
  if (needsClusterIP(old) && needsClusterIP(obj)) {
    if (!spec.clusterIP) spec.clusterIP = ospec.clusterIP;
    if (!spec.clusterIPs?.length && ospec.clusterIPs?.length) spec.clusterIPs = ospec.clusterIPs;
  } else if (needsClusterIP(old) && !needsClusterIP(obj) && deepEqual(spec.clusterIPs, ospec.clusterIPs)) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
    delete spec.internalTrafficPolicy;
  }
  const oldPorts = (ospec.ports ?? []) as Obj[];
  if (needsNodePorts(old) && needsNodePorts(obj)) {
    for (const p of (spec.ports ?? []) as Obj[]) {
      if (!p.nodePort) {
        const was = oldPorts.find((o) => portKey(o) === portKey(p)) ?? oldPorts.find((o) => o.port === p.port);
        if (was?.nodePort) p.nodePort = was.nodePort;
      }
    }
    if (!spec.healthCheckNodePort && ospec.healthCheckNodePort && spec.externalTrafficPolicy === 'Local') spec.healthCheckNodePort = ospec.healthCheckNodePort;
  } else if (needsNodePorts(old) && !needsNodePorts(obj)) {
    const ports = (spec.ports ?? []) as Obj[];
    if (ports.every((p) => !p.nodePort || oldPorts.some((o) => o.nodePort === p.nodePort))) for (const p of ports) delete p.nodePort;
  }
}

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (obj.spec ?? {}) as Obj;
  if (!TYPES.includes(spec.type)) errs.push({ type: 'NotSupported', field: 'spec.type', badValue: spec.type, supported: TYPES });
  const ports = (spec.ports ?? []) as Obj[];
  if (ports.length === 0 && !isHeadless(spec) && spec.type !== 'ExternalName') errs.push({ type: 'Required', field: 'spec.ports' });
  const names = new Set<string>();
  for (const [i, p] of ports.entries()) {
    const pp = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push({ type: 'Required', field: `${pp}.name` });
    if (p.name) {
      for (const m of isDNS1123Label(p.name)) errs.push({ type: 'Invalid', field: `${pp}.name`, badValue: p.name, detail: m });
      if (names.has(p.name)) errs.push({ type: 'Duplicate', field: `${pp}.name`, badValue: p.name });
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push({ type: 'Invalid', field: `${pp}.port`, badValue: p.port, detail: m });
    if (!PROTOCOLS.includes(p.protocol)) errs.push({ type: 'NotSupported', field: `${pp}.protocol`, badValue: p.protocol, supported: PROTOCOLS });
    if (typeof p.targetPort === 'string') for (const m of isValidPortName(p.targetPort)) errs.push({ type: 'Invalid', field: `${pp}.targetPort`, badValue: p.targetPort, detail: m });
    else if (p.targetPort !== undefined) for (const m of isValidPortNum(p.targetPort)) errs.push({ type: 'Invalid', field: `${pp}.targetPort`, badValue: p.targetPort, detail: m });
    if (p.nodePort && spec.type === 'ClusterIP') errs.push({ type: 'Forbidden', field: `${pp}.nodePort`, detail: "may not be used when `type` is 'ClusterIP'" });
  }
  // Port/protocol and nodePort/protocol pairs are unique. Upstream reports the pair as the
  // internal ServicePort struct, which encodes with Go field names.
  const seenPorts = new Set<string>();
  const seenNodePorts = new Set<string>();
  for (const [i, p] of ports.entries()) {
    const key = `${p.port}/${p.protocol}`;
    if (seenPorts.has(key)) {
      errs.push({ type: 'Duplicate', field: `spec.ports[${i}]`, badValue: { Name: '', Protocol: p.protocol, AppProtocol: null, Port: p.port, TargetPort: 0, NodePort: 0 } });
    }
    seenPorts.add(key);
    if (p.nodePort) {
      const nkey = `${p.nodePort}/${p.protocol}`;
      if (seenNodePorts.has(nkey)) errs.push({ type: 'Duplicate', field: `spec.ports[${i}].nodePort`, badValue: p.nodePort });
      seenNodePorts.add(nkey);
    }
  }
  if (!['ClientIP', 'None'].includes(spec.sessionAffinity)) errs.push({ type: 'NotSupported', field: 'spec.sessionAffinity', badValue: spec.sessionAffinity, supported: ['ClientIP', 'None'] });
  for (const [i, ip] of (spec.type === 'ExternalName' ? [] : ((spec.clusterIPs ?? []) as string[])).entries()) {
    if (ip === 'None') {
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') errs.push({ type: 'Invalid', field: `spec.clusterIPs[${i}]`, badValue: ip, detail: `may not be set to 'None' for ${spec.type} services` });
    } else if (!isIP(ip)) {
      errs.push({ type: 'Invalid', field: `spec.clusterIPs[${i}]`, badValue: ip, detail: INVALID_IP_DETAIL });
    }
  }
  for (const [i, ip] of ((spec.externalIPs ?? []) as string[]).entries()) {
    if (!isIP(ip)) errs.push({ type: 'Invalid', field: `spec.externalIPs[${i}]`, badValue: ip, detail: INVALID_IP_DETAIL });
    else errs.push(...nonSpecialIPErrors(ip, `spec.externalIPs[${i}]`));
  }
  if (spec.type === 'ExternalName') {
    if (spec.clusterIP) errs.push({ type: 'Forbidden', field: 'spec.clusterIP', detail: 'may not be set for ExternalName services' });
    if (spec.ipFamilies?.length) errs.push({ type: 'Forbidden', field: 'spec.ipFamilies', detail: 'may not be set for ExternalName services' });
    if (spec.ipFamilyPolicy) errs.push({ type: 'Forbidden', field: 'spec.ipFamilyPolicy', detail: 'may not be set for ExternalName services' });
    if (!spec.externalName) errs.push({ type: 'Required', field: 'spec.externalName' });
    else for (const m of isDNS1123Subdomain(String(spec.externalName).replace(/\.$/, ''))) errs.push({ type: 'Invalid', field: 'spec.externalName', badValue: spec.externalName, detail: m });
  }
  if (spec.externalTrafficPolicy) {
    if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') {
      errs.push({ type: 'Invalid', field: 'spec.externalTrafficPolicy', badValue: spec.externalTrafficPolicy, detail: "may only be set when `type` is 'NodePort' or 'LoadBalancer'" });
    } else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) {
      errs.push({ type: 'NotSupported', field: 'spec.externalTrafficPolicy', badValue: spec.externalTrafficPolicy, supported: ['Cluster', 'Local'] });
    }
  }
  if (spec.internalTrafficPolicy && !['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) {
    errs.push({ type: 'NotSupported', field: 'spec.internalTrafficPolicy', badValue: spec.internalTrafficPolicy, supported: ['Cluster', 'Local'] });
  }
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  return errs;
}

/** Allocates ClusterIPs and NodePorts against the Services that exist (admission). */
async function allocate(obj: KubeObject, old: KubeObject | undefined, ctx: StrategyContext, net: ServiceNetwork, random: () => number): Promise<FieldError[]> {
  const spec = obj.spec as Obj;
  const ospec = (old?.spec ?? {}) as Obj;
  const errs: FieldError[] = [];
  const me = `${obj.metadata.namespace}/${obj.metadata.name}`;
  const others = (await ctx.list('services', '')).filter((s) => `${s.metadata.namespace}/${s.metadata.name}` !== me);
  const usedIPs = new Set<string>();
  const usedPorts = new Set<number>();
  for (const s of others) {
    for (const ip of (s.spec?.clusterIPs ?? [s.spec?.clusterIP]) as string[]) if (ip && ip !== 'None') usedIPs.add(ip);
    for (const p of (s.spec?.ports ?? []) as Obj[]) if (p.nodePort) usedPorts.add(p.nodePort);
    if (s.spec?.healthCheckNodePort) usedPorts.add(s.spec.healthCheckNodePort);
  }
  const range = cidrRange(net.serviceCIDR);
  const inRange = (ip: string) => isIP(ip) === 4 && ipToInt(ip) > range.base && ipToInt(ip) < range.base + range.size - 1;
  const kubernetesIP = intToIP(range.base + 1);
  const reservedFor = (ip: string): boolean =>
    (ip === kubernetesIP && me !== 'default/kubernetes') || (ip === net.dnsIP && obj.metadata.namespace !== 'kube-system');

  if (needsClusterIP(obj) && !isHeadless(spec)) {
    const ip: string | undefined = spec.clusterIP;
    if (ip && ip !== ospec.clusterIP && isIP(ip)) {
      if (!inRange(ip)) {
        errs.push({
          type: 'Invalid', field: 'spec.clusterIPs[0]', badValue: ip,
          detail: `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${net.serviceCIDR}`,
        });
      } else if (usedIPs.has(ip) || reservedFor(ip)) {
        errs.push({ type: 'Invalid', field: 'spec.clusterIPs[0]', badValue: ip, detail: `failed to allocate IP ${ip}: provided IP is already allocated` });
      }
    } else if (!ip) {
      // Dynamic allocations come from above the static band (upstream: the first
      // min(max(16, size/16), 256) addresses are kept for explicit requests).
      const staticBand = Math.min(Math.max(16, range.size / 16), 256);
      const lo = range.base + staticBand;
      const count = range.size - staticBand - 1;
      const start = Math.floor(random() * count);
      let picked: string | undefined;
      for (let k = 0; k < count && !picked; k++) {
        const cand = intToIP(lo + ((start + k) % count));
        if (!usedIPs.has(cand)) picked = cand;
      }
      if (!picked) {
        for (let n = range.base + 1; n < lo && !picked; n++) {
          const cand = intToIP(n);
          if (!usedIPs.has(cand) && !reservedFor(cand)) picked = cand;
        }
      }
      if (!picked) errs.push({ type: 'Invalid', field: 'spec.clusterIPs', badValue: [], detail: 'failed to allocate a serviceIP: range is full' });
      else {
        spec.clusterIP = picked;
        spec.clusterIPs = [picked];
      }
    }
  }

  if (needsNodePorts(obj)) {
    const oldPorts = new Set<number>(((ospec.ports ?? []) as Obj[]).map((p) => p.nodePort).filter(Boolean));
    const mine = new Map<number, string>();
    const ports = (spec.ports ?? []) as Obj[];
    const check = (n: number, field: string, proto: string) => {
      if (n < net.nodePortMin || n > net.nodePortMax) {
        errs.push({ type: 'Invalid', field, badValue: n, detail: `provided port is not in the valid range. The range of valid ports is ${net.nodePortMin}-${net.nodePortMax}` });
      } else if ((usedPorts.has(n) && !oldPorts.has(n)) || mine.get(n) === proto) {
        errs.push({ type: 'Invalid', field, badValue: n, detail: 'provided port is already allocated' });
      }
      mine.set(n, proto);
    };
    for (const [i, p] of ports.entries()) if (p.nodePort) check(p.nodePort, `spec.ports[${i}].nodePort`, p.protocol);
    const span = net.nodePortMax - net.nodePortMin + 1;
    const pick = (): number | undefined => {
      const start = Math.floor(random() * span);
      for (let k = 0; k < span; k++) {
        const n = net.nodePortMin + ((start + k) % span);
        if (!usedPorts.has(n) && !mine.has(n)) return n;
      }
      return undefined;
    };
    for (const [i, p] of ports.entries()) {
      if (p.nodePort) continue;
      // Ports with the same number but another protocol share one node port (upstream).
      const sibling = ports.find((q) => q !== p && q.port === p.port && q.nodePort && q.protocol !== p.protocol);
      const n = sibling?.nodePort ?? pick();
      if (n === undefined) errs.push({ type: 'Invalid', field: `spec.ports[${i}].nodePort`, badValue: 0, detail: 'range is full' });
      else {
        p.nodePort = n;
        mine.set(n, p.protocol);
      }
    }
    if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
      if (spec.healthCheckNodePort) {
        if (spec.healthCheckNodePort !== ospec.healthCheckNodePort) check(spec.healthCheckNodePort, 'spec.healthCheckNodePort', 'health');
      } else {
        const n = pick();
        if (n !== undefined) spec.healthCheckNodePort = n;
      }
    }
  }
  return errs;
}

function externalIPCell(spec: Obj, status: Obj): string {
  const ext = (spec.externalIPs ?? []) as string[];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [...new Set(((status.loadBalancer?.ingress ?? []) as Obj[]).map((i) => i.ip || i.hostname).filter(Boolean) as string[])].sort();
      if (ext.length) return [...lb, ...ext].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function portsCell(spec: Obj): string {
  const ports = (spec.ports ?? []) as Obj[];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => (p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
}

/** The Service strategy over `net`; `random` drives dynamic allocation (tests fix it). */
export function serviceStrategy(net: ServiceNetwork = DEFAULT_SERVICE_NETWORK, random: () => number = Math.random): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'Service',
    resource: 'services',
    singular: 'service',
    shortNames: ['svc'],
    categories: ['all'],
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: { status: true, extra: ['proxy'] },
    prepareForCreate(obj) {
      applyDefaults(obj);
      obj.status = { loadBalancer: {} };
    },
    prepareForUpdate(obj, old) {
      applyDefaults(obj);
      keepAllocations(obj, old);
      obj.status = old.status;
    },
    async admit(obj, old, ctx) {
      // Idempotent, so admission works whichever order the core runs prepare and admit in.
      applyDefaults(obj);
      if (old) keepAllocations(obj, old);
      if (validateSpec(obj).length) return; // validation reports it; nothing to allocate against
      return allocate(obj, old, ctx, net, random);
    },
    validate: (obj) => [...validateObjectMeta(obj.metadata, true, nameIsDNS1035Label), ...validateSpec(obj)],
    validateUpdate(obj, old) {
      const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSpec(obj)];
      const spec = (obj.spec ?? {}) as Obj;
      const ospec = (old.spec ?? {}) as Obj;
      if (needsClusterIP(obj) && needsClusterIP(old)) {
        for (const [i, ip] of ((ospec.clusterIPs ?? []) as string[]).entries()) {
          const now = (spec.clusterIPs ?? []) as string[];
          if (i < now.length && now[i] !== ip) errs.push({ type: 'Invalid', field: `spec.clusterIPs[${i}]`, badValue: now, detail: 'may not change once set' });
        }
      }
      return errs;
    },
    table: {
      columns: [
        NAME_COLUMN,
        column('Type', 'string', 'The type of the service.'),
        column('Cluster-IP', 'string', 'The cluster IP of the service.'),
        column('External-IP', 'string', 'The external IP of the service.'),
        column('Port(s)', 'string', 'The ports of the service.'),
        AGE_COLUMN,
        column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/', 1),
      ],
      cells(obj, now) {
        const spec = (obj.spec ?? {}) as Obj;
        return [
          obj.metadata.name ?? '', spec.type ?? '', spec.clusterIPs?.[0] ?? '<none>', externalIPCell(spec, (obj.status ?? {}) as Obj),
          portsCell(spec), ageCell(obj, now), formatLabels(spec.selector),
        ];
      },
    },
    fieldLabels: (obj) => ({ 'spec.clusterIP': obj.spec?.clusterIP ?? '', 'spec.type': obj.spec?.type ?? '' }),
  };
}
