// The cluster zone as CoreDNS's kubernetes plugin answers it (coredns/plugin/kubernetes, and the
// Kubernetes DNS specification, cluster-dns spec v1.1.0):
//   <svc>.<ns>.svc.<zone>                 A      ClusterIP; headless: every ready endpoint address
//   <ep>.<svc>.<ns>.svc.<zone>            A      a headless endpoint by hostname or dashed address
//   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV   per named port (priority 0, weight 100/n)
//   <svc>.<ns>.svc.<zone>                 SRV    every port of the service
//   <svc>.<ns>.svc.<zone>                 CNAME  ExternalName services
//   <a-b-c-d>.<ns>.pod.<zone>             A      a.b.c.d (`pods insecure`, kubeadm's Corefile)
//   d.c.b.a.in-addr.arpa                  PTR    a ClusterIP or a headless endpoint
// Records carry TTL 5 (the plugin's default); NXDOMAIN and NODATA answers carry the zone's SOA.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

/** Label naming an EndpointSlice's Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** TTL of every answer (CoreDNS kubernetes plugin default `ttl 5`). */
export const RECORD_TTL = 5;

/** One resource record, in dns-packet's shape for the types we answer. */
export type ZoneRecord =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME' | 'PTR'; ttl: number; data: string }
  | { name: string; type: 'SRV'; ttl: number; data: { priority: number; weight: number; port: number; target: string } }
  | { name: string; type: 'SOA'; ttl: number; data: { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } };

/** The answer to one question. */
export interface ZoneAnswer {
  /** `outside`: not ours to answer (forward it, or refuse). */
  rcode: 'NOERROR' | 'NXDOMAIN' | 'outside';
  answers: ZoneRecord[];
  authorities: ZoneRecord[];
  additionals: ZoneRecord[];
}

interface SvcEntry {
  service: Service;
  /** Endpoint addresses published in DNS (ready ones, or all with publishNotReadyAddresses). */
  endpoints: { ip: string; hostname?: string }[];
  /** Ports from the endpoint slices, for headless SRV records. */
  endpointPorts: { name: string; port: number; protocol: string }[];
}

/** An index of the cluster's names, rebuilt from the Service and EndpointSlice caches. */
export class ClusterZone {
  private readonly svcs = new Map<string, SvcEntry>();
  private readonly namespaces = new Set<string>();
  private readonly ptr = new Map<string, string>();
  /** The zone, lower case, without a trailing dot (e.g. `cluster.local`). */
  readonly domain: string;
  private readonly serial: number;

  /** Indexes `services` and their `slices` under `domain`; `serial` goes into the SOA. */
  constructor(domain: string, services: Service[], slices: EndpointSlice[], serial = Math.floor(Date.now() / 1000)) {
    this.domain = domain.toLowerCase().replace(/\.$/, '');
    this.serial = serial;
    for (const service of services) {
      const ns = service.metadata?.namespace ?? '';
      const name = service.metadata?.name ?? '';
      this.namespaces.add(ns);
      this.svcs.set(`${name}.${ns}`, { service, endpoints: [], endpointPorts: [] });
    }
    for (const slice of slices) {
      const svcName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      const entry = svcName ? this.svcs.get(`${svcName}.${slice.metadata?.namespace ?? ''}`) : undefined;
      if (!entry || (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6')) continue;
      const all = entry.service.spec?.publishNotReadyAddresses === true;
      for (const ep of slice.endpoints ?? []) {
        if (!all && ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses ?? []) {
          if (!entry.endpoints.some((e) => e.ip === ip)) entry.endpoints.push({ ip, hostname: ep.hostname });
        }
      }
      for (const p of slice.ports ?? []) {
        const port = { name: p.name ?? '', port: p.port ?? 0, protocol: p.protocol ?? 'TCP' };
        if (port.port && !entry.endpointPorts.some((x) => x.name === port.name && x.protocol === port.protocol)) entry.endpointPorts.push(port);
      }
    }
    for (const [key, e] of this.svcs) {
      const fqdn = `${key}.svc.${this.domain}`;
      if (isHeadless(e.service)) {
        for (const ep of e.endpoints) this.ptr.set(ep.ip, `${endpointLabel(ep)}.${fqdn}`);
      } else {
        for (const ip of clusterIPs(e.service)) this.ptr.set(ip, fqdn);
      }
    }
  }

  /** The zone's SOA record (CoreDNS: ns.dns.<zone>. hostmaster.<zone>. serial 7200 1800 86400 ttl). */
  soa(): ZoneRecord {
    return {
      name: this.domain, type: 'SOA', ttl: RECORD_TTL,
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: this.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: RECORD_TTL },
    };
  }

  /** Answers one question (`name` as asked, any case, with or without the trailing dot). */
  answer(qname: string, qtype: string): ZoneAnswer {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name.endsWith('.in-addr.arpa')) return this.reverse(name, qtype);
    if (name !== this.domain && !name.endsWith(`.${this.domain}`)) return { rcode: 'outside', answers: [], authorities: [], additionals: [] };
    const labels = name === this.domain ? [] : name.slice(0, -(this.domain.length + 1)).split('.');
    const found = this.lookup(labels, name, qtype);
    if (found === undefined) return { rcode: 'NXDOMAIN', answers: [], authorities: [this.soa()], additionals: [] };
    const answers = found.answers.filter((r) => r.type === qtype || r.type === 'CNAME');
    if (qtype === 'SOA' && labels.length === 0) answers.push(this.soa());
    return {
      rcode: 'NOERROR',
      answers,
      authorities: answers.length ? [] : [this.soa()],
      additionals: answers.length && qtype === 'SRV' ? found.additionals : [],
    };
  }

  /** The records at a name inside the zone, or undefined when the name does not exist. */
  private lookup(labels: string[], fqdn: string, qtype: string): { answers: ZoneRecord[]; additionals: ZoneRecord[] } | undefined {
    const none = { answers: [], additionals: [] };
    const last = labels.at(-1);
    if (labels.length === 0) return none;
    if (last === 'pod') {
      if (labels.length === 1) return none;
      if (labels.length === 2) return this.namespaces.has(labels[0]) ? none : undefined;
      if (labels.length !== 3) return undefined;
      const ip = labels[0].replace(/-/g, '.');
      return isIPv4(ip) ? { answers: [a(fqdn, ip)], additionals: [] } : undefined;
    }
    if (last !== 'svc') return undefined;
    if (labels.length === 1) return none;
    if (labels.length === 2) return this.namespaces.has(labels[0]) ? none : undefined;
    const [ns] = labels.slice(-2);
    if (labels.length === 3) {
      const entry = this.svcs.get(`${labels[0]}.${ns}`);
      return entry ? this.serviceRecords(entry, fqdn, qtype) : undefined;
    }
    if (labels.length === 4) {
      // <endpoint>.<svc>.<ns>.svc: a headless service's endpoint by hostname or dashed address.
      const entry = this.svcs.get(`${labels[1]}.${ns}`);
      if (!entry || !isHeadless(entry.service)) return undefined;
      const ep = entry.endpoints.find((e) => endpointLabel(e) === labels[0]);
      return ep ? { answers: [addr(fqdn, ep.ip)], additionals: [] } : undefined;
    }
    if (labels.length === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) {
      const entry = this.svcs.get(`${labels[2]}.${ns}`);
      if (!entry) return undefined;
      const portName = labels[0].slice(1);
      const proto = labels[1].slice(1).toUpperCase();
      const svcFqdn = fqdn.split('.').slice(2).join('.');
      const recs = this.srvRecords(entry, svcFqdn, (p) => p.name === portName && p.protocol === proto, fqdn);
      return recs.answers.length ? recs : undefined;
    }
    return undefined;
  }

  private serviceRecords(entry: SvcEntry, fqdn: string, qtype: string): { answers: ZoneRecord[]; additionals: ZoneRecord[] } {
    const spec = entry.service.spec ?? {};
    if (spec.type === 'ExternalName' && spec.externalName) {
      return { answers: [{ name: fqdn, type: 'CNAME', ttl: RECORD_TTL, data: spec.externalName.replace(/\.$/, '') }], additionals: [] };
    }
    if (qtype === 'SRV') return this.srvRecords(entry, fqdn, () => true, fqdn);
    if (isHeadless(entry.service)) return { answers: entry.endpoints.map((e) => addr(fqdn, e.ip)), additionals: [] };
    return { answers: clusterIPs(entry.service).map((ip) => addr(fqdn, ip)), additionals: [] };
  }

  /** SRV records for the ports `match` selects; `owner` is the record name asked for. */
  private srvRecords(entry: SvcEntry, svcFqdn: string, match: (p: { name: string; protocol: string }) => boolean, owner: string): { answers: ZoneRecord[]; additionals: ZoneRecord[] } {
    const answers: ZoneRecord[] = [];
    const additionals: ZoneRecord[] = [];
    const srv = (port: number, target: string): void => {
      answers.push({ name: owner, type: 'SRV', ttl: RECORD_TTL, data: { priority: 0, weight: 0, port, target } });
    };
    if (isHeadless(entry.service)) {
      for (const p of entry.endpointPorts.filter(match)) {
        for (const ep of entry.endpoints) {
          const target = `${endpointLabel(ep)}.${svcFqdn}`;
          srv(p.port, target);
          additionals.push(addr(target, ep.ip));
        }
      }
    } else {
      for (const p of (entry.service.spec?.ports ?? []).map((x) => ({ name: x.name ?? '', port: x.port, protocol: x.protocol ?? 'TCP' })).filter(match)) srv(p.port, svcFqdn);
      if (answers.length) for (const ip of clusterIPs(entry.service)) additionals.push(addr(svcFqdn, ip));
    }
    // CoreDNS spreads weight 100 evenly over the records of one priority.
    const weight = answers.length ? Math.floor(100 / answers.length) : 0;
    for (const r of answers) if (r.type === 'SRV') r.data.weight = weight;
    const seen = new Set<string>();
    return { answers, additionals: additionals.filter((r) => { const k = `${r.name} ${String(r.data)}`; return seen.has(k) ? false : (seen.add(k), true); }) };
  }

  private reverse(name: string, qtype: string): ZoneAnswer {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    const ip = parts.length === 4 ? parts.reverse().join('.') : '';
    const target = this.ptr.get(ip);
    if (!target) return { rcode: 'outside', answers: [], authorities: [], additionals: [] };
    const answers: ZoneRecord[] = qtype === 'PTR' ? [{ name, type: 'PTR', ttl: RECORD_TTL, data: target }] : [];
    return { rcode: 'NOERROR', answers, authorities: answers.length ? [] : [this.soa()], additionals: [] };
  }
}

function isHeadless(s: Service): boolean {
  return s.spec?.clusterIP === 'None';
}

function clusterIPs(s: Service): string[] {
  const ips = s.spec?.clusterIPs?.length ? s.spec.clusterIPs : s.spec?.clusterIP ? [s.spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

/** The DNS label of a headless endpoint: its hostname, else its address with dashes (CoreDNS endpointHostname). */
function endpointLabel(ep: { ip: string; hostname?: string }): string {
  return (ep.hostname || ep.ip.replace(/[.:]/g, '-')).toLowerCase();
}

function isIPv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

function a(name: string, ip: string): ZoneRecord {
  return { name, type: 'A', ttl: RECORD_TTL, data: ip };
}

/** An A or AAAA record, by the address's family. */
function addr(name: string, ip: string): ZoneRecord {
  return { name, type: ip.includes(':') ? 'AAAA' : 'A', ttl: RECORD_TTL, data: ip };
}
