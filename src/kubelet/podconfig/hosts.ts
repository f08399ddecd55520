// The pod's hostname and its kubelet-managed /etc/hosts (k/k pkg/kubelet/kubelet_pods.go
// GeneratePodHostNameAndDomain, truncatePodHostnameIfNeeded, managedHostsFileContent,
// nodeHostsFileContent, hostsEntriesFromHostAliases).
import type { HostAlias, Pod } from 'kubernetes-types/core/v1.js';

/** Header of a pod-network hosts file. */
export const MANAGED_HOSTS_HEADER = '# Kubernetes-managed hosts file.\n';
/** Header of a host-network pod's hosts file (the node's file follows). */
export const MANAGED_HOSTS_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

/** Hostnames are capped at 63 characters, without a trailing `-` or `.`. */
export function truncateHostname(hostname: string): string {
  if (hostname.length <= 63) return hostname;
  return hostname.slice(0, 63).replace(/[-.]+$/, '');
}

/** The pod's short hostname (spec.hostname or its name) and domain (`<subdomain>.<ns>.svc.<domain>`). */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  const hostname = truncateHostname(pod.spec?.hostname || pod.metadata?.name || '');
  const sub = pod.spec?.subdomain;
  const domain = sub ? `${sub}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

function aliasEntries(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}

/** The hosts file of a pod on the pod network. */
export function managedHostsFileContent(podIPs: string[], hostname: string, domain: string, aliases?: HostAlias[]): string {
  let out = MANAGED_HOSTS_HEADER;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + aliasEntries(aliases);
}

/** The hosts file of a host-network pod: the node's own file under a header. */
export function nodeHostsFileContent(nodeHosts: string, aliases?: HostAlias[]): string {
  return MANAGED_HOSTS_HEADER_HOST_NETWORK + nodeHosts + aliasEntries(aliases);
}
