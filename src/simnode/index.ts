// A simulated node, as kwok does it: a Node object that registers with kubelet-like status,
// heartbeats through its kube-node-lease Lease, marks the pods bound to it Running (pod IP from
// its pod CIDR, containers running and ready) without any container, and finishes terminating
// pods at once. The controllers' integration tests and the control-plane benchmark run on it.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { RealClock, type Clock, type TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { isStatusCode, RESOURCES, startInformer, type ApiObject, type Client, type Informer } from '../client/index.js';
import { microTime } from '../controllers/leader-election.js';

/** Options of startSimulatedNode. */
export interface SimulatedNodeOptions {
  client: Client;
  name: string;
  log: Logger;
  /** status.capacity (and allocatable); default 32 CPUs, 256Gi memory, 110 pods. */
  capacity?: Record<string, string>;
  /** spec.podCIDR; default 10.99.<n>.0/24 with n from the name's trailing digits (else a hash). */
  podCIDR?: string;
  /** The InternalIP address reported; default 127.0.99.<n> (loopback: nothing is ever sent to it). */
  address?: string;
  clock?: Clock;
  /** Lease renewal interval (the kubelet renews every 10 s, a quarter of its 40 s lease). */
  leaseRenewIntervalMs?: number;
  /** How often node status is re-checked and re-posted when the API shows it not Ready (10 s). */
  statusIntervalMs?: number;
  /** Pod status writes in flight at once (8). */
  concurrency?: number;
}

/** A running simulated node. */
export interface SimulatedNode {
  readonly name: string;
  /** Pods this node has marked Running since it started. */
  started(): number;
  /** Stops heartbeating and handling pods; the Node object stays (as a stopped kubelet leaves it). */
  stop(): Promise<void>;
}

function nodeIndex(name: string): number {
  const m = /(\d+)$/.exec(name);
  if (m) return (Number(m[1]) % 254) + 1;
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return (h % 254) + 1;
}

/** Second-precision RFC 3339, as metav1.Time is serialized. */
function seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The kubelet's node conditions when healthy (kubelet_node_status.go setters), heartbeat `now`. */
export function healthyConditions(now: number, since: number = now): NonNullable<Node['status']>['conditions'] {
  const c = (type: string, status: string, reason: string, message: string) => ({
    type, status, reason, message, lastHeartbeatTime: seconds(now), lastTransitionTime: seconds(since),
  });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** The status the simulated kubelet reports for a pod it "runs". */
export function runningPodStatus(pod: Pod, podIP: string, hostIP: string, now: number): Pod['status'] {
  const t = seconds(now);
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  const uid = pod.metadata?.uid ?? '';
  return {
    phase: 'Running',
    hostIP, hostIPs: [{ ip: hostIP }],
    podIP, podIPs: [{ ip: podIP }],
    startTime: t,
    conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
    initContainerStatuses: (pod.spec?.initContainers ?? []).map((c) => ({
      name: c.name, image: c.image ?? '', imageID: '', containerID: `simnode://${uid}/${c.name}`, ready: true, restartCount: 0, started: false,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, containerID: `simnode://${uid}/${c.name}` } },
    })),
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name, image: c.image ?? '', imageID: '', containerID: `simnode://${uid}/${c.name}`, ready: true, restartCount: 0, started: true,
      state: { running: { startedAt: t } },
    })),
  } as unknown as Pod['status'];
}

/** Registers the node and starts simulating it. */
export async function startSimulatedNode(opts: SimulatedNodeOptions): Promise<SimulatedNode> {
  const { client, name } = opts;
  const clock = opts.clock ?? new RealClock();
  const log = opts.log.child({ component: 'simnode', node: name });
  const n = nodeIndex(name);
  const podCIDR = opts.podCIDR ?? `10.99.${n}.0/24`;
  const address = opts.address ?? `127.0.99.${n}`;
  const capacity = opts.capacity ?? { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  const renewMs = opts.leaseRenewIntervalMs ?? 10_000;
  const statusMs = opts.statusIntervalMs ?? 10_000;
  const limit = opts.concurrency ?? 8;
  const base = podCIDR.split('/')[0].split('.').slice(0, 3).join('.');
  let stopped = false;
  let startedCount = 0;
  const timers = new Set<TimerHandle>();
  const after = (ms: number, fn: () => void): void => {
    const h = clock.setTimer(() => { timers.delete(h); fn(); }, ms);
    timers.add(h);
  };
  let drained: (() => void) | undefined;

  const node: ApiObject & Node = {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'simulated' },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR, podCIDRs: [podCIDR] },
    status: {
      capacity, allocatable: capacity,
      conditions: healthyConditions(clock.now()),
      addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: 'simulated', osImage: 'berth simulated node',
        containerRuntimeVersion: 'simnode://0.1.0', kubeletVersion: 'v1.32.0', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  };
  let registered: ApiObject;
  try {
    registered = await client.create(RESOURCES.nodes, '', node);
  } catch (e) {
    if (!isStatusCode(e, 409)) throw e;
    registered = await client.get(RESOURCES.nodes, '', name);
  }
  await client.patch(RESOURCES.nodes, '', name, { status: node.status }, 'merge', 'status');

  const renewLease = async (): Promise<void> => {
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(clock.now()) };
    try {
      const lease = await client.get(RESOURCES.leases, 'kube-node-lease', name);
      await client.update(RESOURCES.leases, { ...lease, spec: { ...lease.spec, ...spec } });
    } catch (e) {
      if (!isStatusCode(e, 404)) throw e;
      await client.create(RESOURCES.leases, 'kube-node-lease', {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: String(registered.metadata.uid) }] },
        spec,
      });
    }
  };
  // The kubelet re-posts its status when the API shows something else than it would report
  // (for example after the node controller marked it Unknown while it was away).
  const checkStatus = async (): Promise<void> => {
    const live = await client.get<ApiObject & Node>(RESOURCES.nodes, '', name);
    const ready = live.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return;
    await client.patch(RESOURCES.nodes, '', name, { status: { conditions: healthyConditions(clock.now()) } }, 'merge', 'status');
  };
  const every = (ms: number, fn: () => Promise<void>, what: string): void => {
    const tick = (): void => {
      if (stopped) return;
      fn().catch((e: unknown) => log.warn({ err: (e as Error).message }, what)).finally(() => {
        if (!stopped) after(ms, tick);
      });
    };
    tick();
  };
  every(renewMs, renewLease, 'lease renewal failed');
  every(statusMs, checkStatus, 'node status update failed');

  // Pod IPs: .2 .. .254 of the /24, reused after a pod goes.
  const ips = new Map<string, string>();
  const used = new Set<string>();
  const ipFor = (pod: Pod): string => {
    const uid = String(pod.metadata?.uid);
    const known = ips.get(uid) ?? pod.status?.podIP;
    if (known) { ips.set(uid, known); used.add(known); return known; }
    for (let i = 2; i < 255; i++) {
      const ip = `${base}.${i}`;
      if (!used.has(ip)) { used.add(ip); ips.set(uid, ip); return ip; }
    }
    throw new Error(`pod CIDR ${podCIDR} is exhausted`);
  };
  const release = (pod: Pod): void => {
    const uid = String(pod.metadata?.uid);
    const ip = ips.get(uid);
    if (ip) used.delete(ip);
    ips.delete(uid);
  };

  // A small bounded work list: one pending action per pod, `limit` API calls at once.
  const pending = new Map<string, ApiObject & Pod>();
  let active = 0;
  const pump = (): void => {
    while (!stopped && active < limit && pending.size > 0) {
      const [key, pod] = pending.entries().next().value as [string, ApiObject & Pod];
      pending.delete(key);
      active++;
      handle(pod).catch((e: unknown) => {
        log.debug({ pod: key, err: (e as Error).message }, 'pod update failed; retrying');
        after(500, () => { const cur = informer.get(String(pod.metadata.namespace), String(pod.metadata.name)); if (cur) enqueue(cur); });
      }).finally(() => {
        active--;
        if (active === 0) drained?.();
        pump();
      });
    }
  };
  const handle = async (pod: ApiObject & Pod): Promise<void> => {
    const ns = String(pod.metadata.namespace);
    const podName = String(pod.metadata.name);
    if (pod.metadata.deletionTimestamp) {
      release(pod);
      await client.delete(RESOURCES.pods, ns, podName, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } })
        .catch((e: unknown) => { if (!isStatusCode(e, 404) && !isStatusCode(e, 409)) throw e; });
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') return;
    await client.patch(RESOURCES.pods, ns, podName, { status: runningPodStatus(pod, ipFor(pod), address, clock.now()) }, 'merge', 'status');
    startedCount++;
  };
  const enqueue = (pod: ApiObject & Pod): void => {
    const phase = pod.status?.phase;
    if (pod.status?.podIP) { ips.set(String(pod.metadata.uid), pod.status.podIP); used.add(pod.status.podIP); }
    if (!pod.metadata.deletionTimestamp && (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed')) return;
    pending.set(`${pod.metadata.namespace}/${pod.metadata.name}`, pod);
    pump();
  };
  const informer: Informer<ApiObject & Pod> = startInformer<ApiObject & Pod>(client, RESOURCES.pods, {
    fieldSelector: `spec.nodeName=${name}`,
    log,
    handlers: { onAdd: enqueue, onUpdate: (_o, p) => enqueue(p), onDelete: release },
  });
  log.info({ podCIDR }, 'simulated node registered');

  return {
    name,
    started: () => startedCount,
    async stop() {
      stopped = true;
      for (const t of timers) t.cancel();
      informer.stop();
      if (active > 0) await new Promise<void>((r) => { drained = r; });
    },
  };
}
