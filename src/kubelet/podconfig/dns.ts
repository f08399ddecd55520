// A pod's resolv.conf as upstream's kubelet hands it to the runtime (k/k
// pkg/kubelet/network/dns/dns.go GetPodDNS): ClusterFirst gets the cluster DNS servers, the
// `<ns>.svc.<domain> svc.<domain> <domain>` searches followed by the host's, and `ndots:5`;
// Default (and ClusterFirst on the host network) gets the host's resolv.conf; None starts empty;
// the pod's dnsConfig is appended in every case; then the limits are applied.
import type { Pod, PodDNSConfigOption } from 'kubernetes-types/core/v1.js';

/** The DNS part of a sandbox config (CRI DNSConfig). */
export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Limits upstream enforces (validation.MaxDNSNameservers, ExpandedDNSConfig limits, GA in 1.28). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

/** Parses resolv.conf text: nameservers accumulate; the last `search` and `options` lines win. */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const f = line.split(/\s+/).filter(Boolean);
    if (f.length === 0) continue;
    if (f[0] === 'nameserver' && f.length >= 2) out.servers.push(f[1]);
    if (f[0] === 'search') out.searches = f.slice(1).map((s) => s.replace(/\.$/, ''));
    if (f[0] === 'options') out.options = f.slice(1);
  }
  return out;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function mergeOptions(existing: string[], extra: PodDNSConfigOption[]): string[] {
  const m = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i >= 0) m.set(op.slice(0, i), op.slice(i + 1));
    else m.set(op, '');
  }
  for (const op of extra) m.set(op.name ?? '', op.value ?? '');
  return [...m].map(([k, v]) => (v ? `${k}:${v}` : k));
}

/** What {@link podDnsConfig} needs besides the pod. */
export interface DnsSettings {
  /** Cluster DNS server addresses (kubelet clusterDNS). */
  clusterDns: string[];
  /** e.g. `cluster.local`. */
  clusterDomain: string;
  /** The host's resolv.conf, parsed; undefined when the kubelet has none (resolvConf ""). */
  host: DnsConfig | undefined;
}

/** The computed config plus the Warning `DNSConfigForming` messages upstream would record. */
export interface PodDnsResult {
  config: DnsConfig;
  warnings: string[];
}

/** The pod's DNS config (GetPodDNS). */
export function podDnsConfig(pod: Pod, s: DnsSettings): PodDnsResult {
  const warnings: string[] = [];
  const host = s.host ?? { servers: [], searches: [], options: [] };
  let cfg: DnsConfig = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const hostNetwork = pod.spec?.hostNetwork === true;
  let kind: 'cluster' | 'host' | 'none';
  if (policy === 'None') kind = 'none';
  else if (policy === 'ClusterFirstWithHostNet') kind = 'cluster';
  else if (policy === 'Default' || hostNetwork) kind = 'host';
  else kind = 'cluster';

  if (kind === 'none') cfg = { servers: [], searches: [], options: [] };
  if (kind === 'cluster' && s.clusterDns.length === 0) {
    warnings.push(`pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`);
    kind = 'host';
  }
  if (kind === 'cluster') {
    cfg.servers = [...s.clusterDns];
    if (s.clusterDomain) {
      const ns = pod.metadata?.namespace ?? '';
      cfg.searches = unique([`${ns}.svc.${s.clusterDomain}`, `svc.${s.clusterDomain}`, s.clusterDomain, ...cfg.searches]);
    }
    cfg.options = ['ndots:5'];
  } else if (kind === 'host' && s.host === undefined) {
    cfg.servers = ['127.0.0.1'];
    cfg.searches = ['.'];
  }

  const extra = pod.spec?.dnsConfig;
  if (extra) {
    cfg.servers = unique([...cfg.servers, ...(extra.nameservers ?? [])]);
    cfg.searches = unique([...cfg.searches, ...(extra.searches ?? [])]);
    cfg.options = mergeOptions(cfg.options, extra.options ?? []);
  }

  if (cfg.servers.length > MAX_DNS_NAMESERVERS) {
    cfg.servers = cfg.servers.slice(0, MAX_DNS_NAMESERVERS);
    warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${cfg.servers.join(' ')}`);
  }
  let exceeded = false;
  let searches = cfg.searches;
  if (searches.length > MAX_DNS_SEARCH_PATHS) {
    searches = searches.slice(0, MAX_DNS_SEARCH_PATHS);
    exceeded = true;
  }
  const fit = searches.filter((x) => x.length <= DNS1123_SUBDOMAIN_MAX_LENGTH);
  if (fit.length !== searches.length) exceeded = true;
  searches = fit;
  const lineLen = searches.join(' ').length;
  if (lineLen > MAX_DNS_SEARCH_LIST_CHARS) {
    let cut = 0;
    let cutLen = 0;
    for (let i = searches.length - 1; i >= 0; i--) {
      cutLen += searches[i].length + 1;
      cut++;
      if (lineLen - cutLen <= MAX_DNS_SEARCH_LIST_CHARS) break;
    }
    searches = searches.slice(0, searches.length - cut);
    exceeded = true;
  }
  if (exceeded) warnings.push(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`);
  cfg.searches = searches;
  return { config: cfg, warnings };
}
