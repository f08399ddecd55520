// The service proxy: one per machine (every node of a `berth up` shares the host's network
// namespace). Watches Services and EndpointSlices and rewrites our iptables chains as one
// iptables-restore payload per sync (kube-proxy's iptables mode), debounced so a burst of
// changes costs one sync and a change is in the kernel well within a second.
//
// Routes: the cluster CIDR gets an `unreachable` route (the bridges' per-node /24 routes are more
// specific and win), so a packet for a pod address that exists nowhere never reaches the default
// gateway. The service CIDR gets a `local` route on `lo` instead of an unreachable one: a
// connect() from the host is routed before the nat OUTPUT chain runs, so with an unreachable route
// the host could not reach any ClusterIP ("No route to host"); with a local route the nat rules
// rewrite claimed addresses and the host itself answers the rest (connection refused, as nothing
// listens there), so nothing for the service CIDR leaves the machine either. A host process
// listening on all addresses is reachable at such an address, as it already is at the bridge
// gateway address, so this opens nothing new to pods.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { silentLogger, type Logger } from '../common/log.js';
import { RESOURCES, startInformer, type ApiObject, type Client, type Informer } from '../client/index.js';
import { buildServicePorts } from './service-map.js';
import { baseChains, jumpRules, renderRules } from './rules.js';
import {
  chainsIn, deleteChains, deleteRules, ensureJumps, ensureRoute, iptablesRestore, modprobe, removeRoute, saveTable, setSysctl, strayJumps,
  type OwnedRoute,
} from './host.js';

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  client: Client;
  /** Addresses on which node ports answer (every node's address on this machine). */
  nodeIPs: string[];
  /** Pod network, e.g. 10.42.0.0/16. */
  clusterCIDR: string;
  /** Service network, e.g. 10.43.0.0/16. */
  serviceCIDR: string;
  /**
   * @deprecated Ignored. The first version rejected unclaimed service addresses and exempted these;
   * the host's own answer (connection refused) does the same job without an exemption list.
   */
  localServiceIPs?: string[];
  log?: Logger;
  /** Masquerade pods' ClusterIP traffic too (default: only when br_netfilter is unavailable). */
  masqueradeAll?: boolean;
  /** Chain prefix (default `BERTH`); tests use their own. */
  chainPrefix?: string;
  /** Quiet time after a change before a sync (default 100 ms). */
  debounceMs?: number;
  /** Full resync period, which also restores deleted jumps (default 30 s, kube-proxy's syncPeriod). */
  resyncMs?: number;
}

/** A running proxy. */
export interface Proxy {
  /** Writes the rules for the current informer caches now; resolves once they are in the kernel. */
  sync(): Promise<void>;
  /**
   * Stops watching and waits for a sync in progress. The rules stay (a restarted proxy adopts
   * them); {@link cleanupProxy} removes them.
   */
  stop(): Promise<void>;
}

/** What {@link cleanupProxy} removes. */
export interface ProxyCleanupOptions {
  chainPrefix?: string;
  clusterCIDR?: string;
  serviceCIDR?: string;
}

/** The chains a restore payload leaves in each table (declared and not deleted with -X). */
function chainsWritten(payload: string): { nat: string[]; filter: string[] } {
  const out: { nat: string[]; filter: string[] } = { nat: [], filter: [] };
  const deleted = new Set<string>();
  let table: 'nat' | 'filter' | undefined;
  for (const line of payload.split('\n')) {
    if (line === '*nat' || line === '*filter') table = line.slice(1) as 'nat' | 'filter';
    else if (table && line.startsWith(':')) out[table].push(line.slice(1).split(' ')[0]);
    else if (table && line.startsWith('-X ')) deleted.add(`${table} ${line.slice(3)}`);
  }
  return { nat: out.nat.filter((c) => !deleted.has(`nat ${c}`)), filter: out.filter.filter((c) => !deleted.has(`filter ${c}`)) };
}

function ownedRoutes(clusterCIDR: string, serviceCIDR: string): OwnedRoute[] {
  return [{ type: 'unreachable', cidr: clusterCIDR }, { type: 'local', cidr: serviceCIDR }];
}

/**
 * Starts the proxy: sets the sysctls it needs, installs its routes, waits for the Service and
 * EndpointSlice caches, writes the first sync, then follows changes. Rejects when the kernel
 * refuses the first sync (no iptables, not root).
 */
export async function startProxy(opts: ProxyOptions): Promise<Proxy> {
  const prefix = opts.chainPrefix ?? 'BERTH';
  const log = (opts.log ?? silentLogger).child({ component: 'proxy' });
  const debounceMs = opts.debounceMs ?? 100;

  // Node ports on loopback node addresses (127.0.1.i) are DNATed to pods on a bridge: the kernel
  // routes such 127/8-sourced packets only with route_localnet (kube-proxy sets it for localhost
  // node ports). Pod-to-service traffic whose endpoint sits on the same bridge answers at layer 2,
  // so conntrack must see bridged frames to undo the DNAT (br_netfilter). Forwarding is needed for
  // any pod-to-pod rewrite.
  await setSysctl('net.ipv4.conf.all.route_localnet', '1');
  await setSysctl('net.ipv4.ip_forward', '1');
  let masqueradeAll = opts.masqueradeAll ?? false;
  if (!(await setSysctl('net.bridge.bridge-nf-call-iptables', '1'))
    && !((await modprobe('br_netfilter')) && (await setSysctl('net.bridge.bridge-nf-call-iptables', '1')))) {
    log.warn('br_netfilter is not available: masquerading all ClusterIP traffic so answers return through the host');
    masqueradeAll = true;
  }
  for (const r of ownedRoutes(opts.clusterCIDR, opts.serviceCIDR)) await ensureRoute(r);

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const onChange = (): void => {
    if (!timer && !stopped) {
      timer = setTimeout(() => {
        timer = undefined;
        kick().catch((e: Error) => log.error({ err: e.message }, 'sync of service rules failed'));
      }, debounceMs);
    }
  };
  const handlers = { onAdd: onChange, onUpdate: onChange, onDelete: onChange };
  const services: Informer<ApiObject> = startInformer(opts.client, RESOURCES.services, { handlers, log });
  const slices: Informer<ApiObject> = startInformer(opts.client, RESOURCES.endpointslices, { handlers, log });

  // Chains we wrote last time. A full sync (the first, the periodic resync, and any after a
  // failure) reads the tables instead, catching chains and jumps that someone else changed; the
  // others spare two iptables-save processes, which on a busy host is most of a sync's time.
  let known: { nat: string[]; filter: string[] } | undefined;
  let fullDue = true;
  const syncOnce = async (): Promise<void> => {
    const started = Date.now();
    const full = fullDue || !known;
    fullDue = false;
    const ports = buildServicePorts(services.list() as unknown as Service[], slices.list() as unknown as EndpointSlice[]);
    let saved: { nat: string; filter: string } | undefined;
    if (full) {
      const [natSaved, filterSaved] = await Promise.all([saveTable('nat'), saveTable('filter')]);
      saved = { nat: natSaved, filter: filterSaved };
    }
    const existingChains = saved ? { nat: chainsIn(saved.nat, prefix), filter: chainsIn(saved.filter, prefix) } : known;
    const payload = renderRules({
      prefix, clusterCIDR: opts.clusterCIDR, nodeIPs: opts.nodeIPs, services: ports, existingChains, masqueradeAll,
    });
    known = undefined;
    try {
      // Jumps into chains this version no longer has would keep the restore from deleting them.
      if (saved) for (const table of ['nat', 'filter'] as const) await deleteRules(table, strayJumps(saved[table], prefix, jumpRules(prefix)));
      await iptablesRestore(payload);
      // Restore leaves built-in chains alone, so the jumps found before it are still there.
      if (saved) await ensureJumps(jumpRules(prefix), saved);
    } catch (e) {
      fullDue = true;
      throw e;
    }
    known = chainsWritten(payload);
    log.debug({ servicePorts: ports.length, full, ms: Date.now() - started }, 'synced service rules');
  };

  // One sync at a time; a request during a sync is served by one more sync after it, which
  // reads the caches afresh (so it covers every change made before the request).
  let inFlight: Promise<void> | undefined;
  let again: Promise<void> | undefined;
  const kick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (!inFlight) {
      inFlight = syncOnce().finally(() => { inFlight = undefined; });
      return inFlight;
    }
    again ??= inFlight.catch(() => undefined).then(() => { again = undefined; return kick(); });
    return again;
  };

  const stop = async (): Promise<void> => {
    stopped = true;
    if (timer) clearTimeout(timer);
    clearInterval(resync);
    services.stop();
    slices.stop();
    await Promise.all([inFlight, again].map((p) => p?.catch(() => undefined)));
  };
  const resync = setInterval(() => { fullDue = true; kick().catch((e: Error) => log.error({ err: e.message }, 'sync of service rules failed')); }, opts.resyncMs ?? 30_000);
  resync.unref();

  try {
    await Promise.all([services.synced(), slices.synced()]);
    await kick();
  } catch (e) {
    await stop();
    throw e;
  }
  log.info({ prefix, nodeIPs: opts.nodeIPs }, 'service proxy started');

  return {
    sync: async () => {
      if (timer) { clearTimeout(timer); timer = undefined; }
      await kick();
    },
    stop,
  };
}

/**
 * Removes everything a proxy with this prefix installed: the jumps from built-in chains, its
 * chains in the nat and filter tables and its routes. Safe to call when nothing is installed.
 */
export async function cleanupProxy(opts: ProxyCleanupOptions = {}): Promise<void> {
  const prefix = opts.chainPrefix ?? 'BERTH';
  for (const table of ['nat', 'filter'] as const) {
    const saved = await saveTable(table);
    await deleteRules(table, strayJumps(saved, prefix, []));
    const existing = chainsIn(saved, prefix);
    // Base chains are referenced by the per-service ones only from within; flushing all in one
    // payload before deleting any keeps iptables-restore from refusing a referenced chain.
    const order = [...existing.filter((c) => !baseChains(prefix)[table].includes(c)), ...existing.filter((c) => baseChains(prefix)[table].includes(c))];
    await deleteChains(table, order);
  }
  for (const r of ownedRoutes(opts.clusterCIDR ?? '10.42.0.0/16', opts.serviceCIDR ?? '10.43.0.0/16')) await removeRoute(r);
}
