// The iptables-restore payload the proxy writes on each sync: kube-proxy's iptables mode
// (pkg/proxy/iptables/proxier.go, Kubernetes 1.32) with our chain prefix instead of KUBE.
//
// nat:    PREROUTING, OUTPUT -> <P>-SERVICES
//           -d <clusterIP> --dport <port>        -> <P>-SVC-<hash>
//           -d <nodeIP> (every node address)     -> <P>-NODEPORTS -> --dport <nodePort> -> <P>-EXT-<hash>
//         <P>-EXT-*: mark for masquerade, then    -> <P>-SVC-<hash>
//         <P>-SVC-*: mark for masquerade unless the source is a pod; then one
//           `-m statistic --mode random --probability 1/(n-i)` jump per endpoint -> <P>-SEP-<hash>
//         <P>-SEP-*: hairpin masquerade mark; DNAT --to-destination ip:port
//         POSTROUTING -> <P>-POSTROUTING: MASQUERADE what carries the 0x4000 mark
// filter: OUTPUT, FORWARD (ctstate NEW)            -> <P>-SERVICES: REJECT ClusterIPs without endpoints
//         INPUT, FORWARD, OUTPUT (ctstate NEW)     -> <P>-EXTERNAL-SERVICES: REJECT node ports without endpoints
//         FORWARD                                   -> <P>-FORWARD: accept marked and established traffic
//         INPUT, OUTPUT                             -> <P>-FIREWALL: drop martian localnet traffic
import { createHash } from 'node:crypto';
import { servicePortName, type ServicePortInfo } from './service-map.js';

/** kube-proxy's masquerade mark bit (--iptables-masquerade-bit 14). */
export const MASQ_MARK = '0x4000';

/** Inputs of one sync. */
export interface RuleInput {
  /** Chain prefix, `BERTH` in production (kube-proxy's `KUBE`). */
  prefix: string;
  /** Pod network; traffic from elsewhere to a ClusterIP is masqueraded. */
  clusterCIDR: string;
  /** Node addresses on which node ports answer (kube-proxy's --nodeport-addresses). */
  nodeIPs: string[];
  services: ServicePortInfo[];
  /**
   * Masquerade every connection to a ClusterIP, pods' too (kube-proxy's --masquerade-all). Needed
   * without br_netfilter: the endpoint's answer then goes to the host, which undoes the DNAT,
   * instead of straight across the bridge to a client that expects the ClusterIP.
   */
  masqueradeAll?: boolean;
  /** Our chains that exist in the kernel now: those not produced by this sync are deleted. */
  existingChains?: { nat: string[]; filter: string[] };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (standard alphabet, no padding needed for the prefix we keep). */
function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** kube-proxy's portProtoHash: first 16 base32 chars of sha256(servicePortName + protocol [+ endpoint]). */
export function chainHash(...parts: string[]): string {
  return base32(createHash('sha256').update(parts.join('')).digest()).slice(0, 16);
}

/** `<P>-SVC-<hash>`: the balancing chain of one Service port. */
export function serviceChain(prefix: string, sp: ServicePortInfo): string {
  return `${prefix}-SVC-${chainHash(servicePortName(sp), sp.protocol.toLowerCase())}`;
}

/** `<P>-EXT-<hash>`: the node-port entry chain of one Service port. */
export function externalChain(prefix: string, sp: ServicePortInfo): string {
  return `${prefix}-EXT-${chainHash(servicePortName(sp), sp.protocol.toLowerCase())}`;
}

/** `<P>-SEP-<hash>`: the DNAT chain of one endpoint of one Service port. */
export function endpointChain(prefix: string, sp: ServicePortInfo, ip: string, port: number): string {
  return `${prefix}-SEP-${chainHash(servicePortName(sp), sp.protocol.toLowerCase(), `${ip}:${port}`)}`;
}

/** The fixed chains of each table, in declaration order. */
export function baseChains(prefix: string): { nat: string[]; filter: string[] } {
  return {
    nat: [`${prefix}-SERVICES`, `${prefix}-NODEPORTS`, `${prefix}-POSTROUTING`, `${prefix}-MARK-MASQ`],
    filter: [`${prefix}-SERVICES`, `${prefix}-EXTERNAL-SERVICES`, `${prefix}-FORWARD`, `${prefix}-FIREWALL`],
  };
}

/** One jump from a built-in chain into ours; kept outside the restore payload (built-in chains are shared). */
export interface JumpRule {
  table: 'nat' | 'filter';
  chain: string;
  /** Rule arguments after `-A <chain>` / `-I <chain>`. */
  args: string[];
}

/** The jumps from built-in chains into our chains (kube-proxy's iptablesJumpChains). */
export function jumpRules(prefix: string): JumpRule[] {
  const j = (table: JumpRule['table'], chain: string, target: string, comment: string, extra: string[] = []): JumpRule =>
    ({ table, chain, args: [...extra, '-m', 'comment', '--comment', comment, '-j', `${prefix}-${target}`] });
  const isNew = ['-m', 'conntrack', '--ctstate', 'NEW'];
  return [
    j('nat', 'PREROUTING', 'SERVICES', 'berth service portals'),
    j('nat', 'OUTPUT', 'SERVICES', 'berth service portals'),
    j('nat', 'POSTROUTING', 'POSTROUTING', 'berth postrouting rules'),
    j('filter', 'OUTPUT', 'SERVICES', 'berth service portals', isNew),
    j('filter', 'FORWARD', 'SERVICES', 'berth service portals', isNew),
    j('filter', 'INPUT', 'EXTERNAL-SERVICES', 'berth externally-visible service portals', isNew),
    j('filter', 'FORWARD', 'EXTERNAL-SERVICES', 'berth externally-visible service portals', isNew),
    j('filter', 'OUTPUT', 'EXTERNAL-SERVICES', 'berth externally-visible service portals', isNew),
    j('filter', 'FORWARD', 'FORWARD', 'berth forwarding rules'),
    j('filter', 'INPUT', 'FIREWALL', 'berth firewall'),
    j('filter', 'OUTPUT', 'FIREWALL', 'berth firewall'),
  ];
}

/** Quotes an argument for iptables-restore when it holds spaces. */
function q(s: string): string {
  return /[\s"]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s;
}

/** Formats a balancing probability as kube-proxy does (`%0.10f`). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

/** The whole payload for `iptables-restore --noflush`: our chains only, rebuilt from scratch. */
export function renderRules(input: RuleInput): string {
  const { prefix: P } = input;
  const base = baseChains(P);
  const natChains = [...base.nat];
  const natRules: string[] = [];
  const filterRules: string[] = [];
  const proto = (sp: ServicePortInfo): string => {
    const p = sp.protocol.toLowerCase();
    return `-m ${p} -p ${p}`;
  };

  natRules.push(
    `-A ${P}-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A ${P}-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`,
    `-A ${P}-POSTROUTING -m comment --comment ${q('berth service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
    `-A ${P}-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`,
  );
  filterRules.push(
    `-A ${P}-FORWARD -m conntrack --ctstate INVALID -j DROP`,
    `-A ${P}-FORWARD -m comment --comment ${q('berth forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    `-A ${P}-FORWARD -m comment --comment ${q('berth forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${P}-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment ${q('block incoming localnet connections')} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
  );

  for (const sp of input.services) {
    const name = servicePortName(sp);
    const svcChain = serviceChain(P, sp);
    const dst = `-d ${sp.clusterIP}/32 --dport ${sp.port}`;
    if (sp.endpoints.length === 0) {
      filterRules.push(`-A ${P}-SERVICES -m comment --comment ${q(`${name} has no endpoints`)} ${proto(sp)} ${dst} -j REJECT --reject-with icmp-port-unreachable`);
      if (sp.nodePort) {
        for (const nodeIP of input.nodeIPs) {
          filterRules.push(`-A ${P}-EXTERNAL-SERVICES -m comment --comment ${q(`${name} has no endpoints`)} -d ${nodeIP}/32 ${proto(sp)} --dport ${sp.nodePort} -j REJECT --reject-with icmp-port-unreachable`);
        }
      }
      continue;
    }
    natChains.push(svcChain);
    natRules.push(`-A ${P}-SERVICES -m comment --comment ${q(`${name} cluster IP`)} ${proto(sp)} ${dst} -j ${svcChain}`);
    const fromOutside = input.masqueradeAll ? '' : ` ! -s ${input.clusterCIDR}`;
    natRules.push(`-A ${svcChain} -m comment --comment ${q(`${name} cluster IP`)} ${proto(sp)} ${dst}${fromOutside} -j ${P}-MARK-MASQ`);
    if (sp.nodePort) {
      const extChain = externalChain(P, sp);
      natChains.push(extChain);
      natRules.push(`-A ${P}-NODEPORTS -m comment --comment ${q(name)} ${proto(sp)} --dport ${sp.nodePort} -j ${extChain}`);
      natRules.push(`-A ${extChain} -m comment --comment ${q(`masquerade traffic for ${name} external destinations`)} -j ${P}-MARK-MASQ`);
      natRules.push(`-A ${extChain} -j ${svcChain}`);
    }
    const n = sp.endpoints.length;
    sp.endpoints.forEach((ep, i) => {
      const sepChain = endpointChain(P, sp, ep.ip, ep.port);
      natChains.push(sepChain);
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${probability(n - i)}` : '';
      natRules.push(`-A ${svcChain} -m comment --comment ${q(`${name} -> ${ep.ip}:${ep.port}`)}${stat} -j ${sepChain}`);
      natRules.push(`-A ${sepChain} -m comment --comment ${q(name)} -s ${ep.ip}/32 -j ${P}-MARK-MASQ`);
      natRules.push(`-A ${sepChain} -m comment --comment ${q(name)} ${proto(sp)} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    });
  }
  // The node-port jumps come last in <P>-SERVICES, as kube-proxy's "must be the last rule" comment says.
  for (const nodeIP of input.nodeIPs) {
    natRules.push(`-A ${P}-SERVICES -m comment --comment ${q('berth service nodeports; NOTE: this must be the last rule in this chain')} -d ${nodeIP}/32 -j ${P}-NODEPORTS`);
  }

  const staleNat = (input.existingChains?.nat ?? []).filter((c) => !natChains.includes(c));
  const staleFilter = (input.existingChains?.filter ?? []).filter((c) => !base.filter.includes(c));
  const lines: string[] = ['*filter'];
  for (const c of [...base.filter, ...staleFilter]) lines.push(`:${c} - [0:0]`);
  lines.push(...filterRules);
  for (const c of staleFilter) lines.push(`-X ${c}`);
  lines.push('COMMIT', '*nat');
  for (const c of [...natChains, ...staleNat]) lines.push(`:${c} - [0:0]`);
  lines.push(...natRules);
  for (const c of staleNat) lines.push(`-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
