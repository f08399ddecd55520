// The node's lifecycle as the kubelet runs it: register the Node (k/k kubelet_node_status.go
// registerWithAPIServer), then two independent loops:
//
//   status  every 10 s: ask the runtime (CRI Status, Version, ListImages), recompute the status on
//           a fresh GET of the Node, and write it when something other than heartbeat times
//           changed, or at least every 5 minutes (nodeStatusReportFrequency)
//   lease   every 10 s: renew kube-node-lease/<node> (lease.ts), the cheap heartbeat the node
//           lifecycle controller watches
//
// The kubelet never sets the `node.kubernetes.io/not-ready` taint itself: upstream 1.32 registers
// the Node without it (initialNode adds only configured taints and `unschedulable`); the API
// server's NodeTaint admission plugin adds it on create and the node lifecycle controller removes
// it once Ready. Those two are not this module's to imitate.
import { isStatusCode, RESOURCES, type Client } from '../../client/index.js';
import type { EventRecorder } from '../../client/events.js';
import { RealClock, type Clock, type TimerHandle } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { VERSION } from '../../common/version.js';
import type { Image, Runtime, RuntimeVersion } from '../runtime/index.js';
import { createLeaseRenewer, NODE_LEASE_DURATION_SECONDS, NODE_LEASE_RENEW_INTERVAL_MS } from './lease.js';
import { readMachineInfo, type MachineInfo } from './machine.js';
import {
  CONTROLLER_MANAGED_ATTACH_DETACH, defaultNodeLabels, NODE_STATUS_REPORT_FREQUENCY_MS, NODE_STATUS_UPDATE_FREQUENCY_MS,
  nodeStatusHasChanged, RuntimeState, setNodeStatus, type NodeAddress, type NodeObject,
} from './status.js';

/** What startNodeAgent needs. */
export interface NodeAgentOptions {
  /** A client authenticated as `system:node:<name>`. */
  client: Client;
  nodeName: string;
  /** status.addresses as reported (InternalIP first, then Hostname, as upstream orders them). */
  addresses: NodeAddress[];
  /** status.daemonEndpoints.kubeletEndpoint.Port. */
  kubeletPort: number;
  /** spec.podCIDR (and podCIDRs) of a newly registered Node. */
  podCIDR: string;
  runtime: Runtime;
  log: Logger;
  /** The kubelet root dir: ephemeral-storage is the capacity of its filesystem (default `/`). */
  rootDir?: string;
  /** Extra labels for a newly registered Node (`--node-labels`). */
  labels?: Record<string, string>;
  /** Records the node-status events (NodeHasSufficientMemory, NodeReady, ...). */
  recorder?: EventRecorder;
  /** Wall time for status and lease timestamps (default: the clock's, else Date). */
  now?: () => Date;
  /** Drives the loops' timers (default RealClock). */
  clock?: Clock;
  /** Node status update frequency (default 10 s). */
  statusUpdateIntervalMs?: number;
  /** nodeStatusReportFrequency (default 5 min). */
  statusReportIntervalMs?: number;
  /** Lease renew interval (default 10 s). */
  leaseRenewIntervalMs?: number;
  /** leaseDurationSeconds (default 40). */
  leaseDurationSeconds?: number;
  /** While registered NotReady, how often to check whether the node could turn Ready (default 100 ms). */
  fastStatusIntervalMs?: number;
  /** Machine facts (default: read from this machine on every status computation). */
  machineInfo?: () => MachineInfo;
  /** Aborts a registration still retrying. */
  signal?: AbortSignal;
}

/** A running node agent. */
export interface NodeAgent {
  /** True when the last status written to the API said Ready=True. */
  ready(): boolean;
  /** Recomputes and writes the node status now when it changed (or always with `force`). */
  syncStatus(force?: boolean): Promise<void>;
  /** Stops both loops and waits for a write in flight. The Node and Lease stay as they are. */
  stop(): Promise<void>;
}

/** nodeReadyGracePeriod: how long the fast status checks run after start at most. */
const NODE_READY_GRACE_PERIOD_MS = 120_000;
/** nodeStatusUpdateRetry. */
const STATUS_UPDATE_RETRIES = 5;
/** Registration back-off: 100 ms doubling to 7 s, as registerWithAPIServer's step. */
const REGISTER_BACKOFF_MS = [100, 200, 400, 800, 1600, 3200, 6400, 7000];

interface Loop { start(): void; stop(): Promise<void> }

/** Runs `fn` every `intervalMs` after the previous run ended, until stop() or until `fn` resolves `'done'`. */
function loop(clock: Clock, intervalMs: number, fn: () => Promise<void | 'done'>, log: Logger, what: string): Loop {
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = (): void => {
    timer = undefined;
    running = fn()
      .then((r) => {
        if (r === 'done') stopped = true;
      }, (e: unknown) => log.warn({ err: (e as Error).message }, what))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = clock.setTimer(run, intervalMs);
      });
  };
  return {
    start: () => {
      if (!stopped && !timer && !running) timer = clock.setTimer(run, intervalMs);
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = clock.setTimer(resolve, ms);
    signal?.addEventListener('abort', () => {
      t.cancel();
      resolve();
    }, { once: true });
  });
}

/**
 * Registers the Node (or reconciles an existing one after a restart) and starts the status and
 * lease loops. Resolves once the Node is registered, retrying with back-off until then; rejects
 * only when `signal` aborts first.
 */
export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  const log = opts.log.child({ component: 'node-status', node: opts.nodeName });
  const clock = opts.clock ?? new RealClock();
  const now = opts.now ?? (() => new Date(clock.now()));
  const machine = opts.machineInfo ?? (() => readMachineInfo(opts.rootDir ?? '/'));
  const runtimeState = new RuntimeState();
  const reportEvery = opts.statusReportIntervalMs ?? NODE_STATUS_REPORT_FREQUENCY_MS;
  let runtimeVersion: RuntimeVersion | undefined;
  let images: Image[] = [];
  let postedReady = false;
  let lastReport = Number.NEGATIVE_INFINITY;
  const nodeRef = { apiVersion: '', kind: 'Node', name: opts.nodeName, uid: opts.nodeName };
  const record = (reasons: string[]): void => {
    for (const r of reasons) opts.recorder?.event(nodeRef, 'Normal', r, `Node ${opts.nodeName} status is now: ${r}`);
  };

  /** updateRuntimeUp plus the version and image list the setters use. */
  const observeRuntime = async (): Promise<void> => {
    try {
      const conditions = await opts.runtime.status();
      runtimeState.observe(conditions, clock.now());
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'container runtime sanity check failed');
    }
    try {
      runtimeVersion = await opts.runtime.version();
    } catch (e) {
      log.debug({ err: (e as Error).message }, 'container runtime version unavailable');
    }
    try {
      images = await opts.runtime.listImages();
    } catch (e) {
      log.debug({ err: (e as Error).message }, 'listing images failed');
    }
  };

  const apply = (node: NodeObject): string[] => setNodeStatus(node, {
    now: now(),
    machine: machine(),
    runtimeVersion,
    notReadyErrors: runtimeState.errors(clock.now()),
    images,
    addresses: opts.addresses,
    kubeletPort: opts.kubeletPort,
    kubeletVersion: VERSION.gitVersion,
  });

  const isReady = (node: NodeObject): boolean =>
    ((node.status?.conditions ?? []) as Array<{ type: string; status: string }>).some((c) => c.type === 'Ready' && c.status === 'True');

  const syncStatus = async (force = false): Promise<void> => {
    await observeRuntime();
    let lastErr: unknown;
    for (let i = 0; i < STATUS_UPDATE_RETRIES; i++) {
      try {
        const node = await opts.client.get<NodeObject & { metadata: { name: string } }>(RESOURCES.nodes, '', opts.nodeName);
        const original = structuredClone(node.status);
        const events = apply(node);
        if (!force && !nodeStatusHasChanged(original, node.status) && clock.now() - lastReport < reportEvery) return;
        const written = await opts.client.updateStatus(RESOURCES.nodes, node);
        lastReport = clock.now();
        postedReady = isReady(written as NodeObject);
        record(events);
        return;
      } catch (e) {
        lastErr = e;
        if (!isStatusCode(e, 409)) break;
      }
    }
    throw lastErr;
  };

  const initialNode = (): NodeObject => {
    const m = machine();
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: opts.nodeName,
        labels: { ...defaultNodeLabels(opts.nodeName, m.operatingSystem, m.architecture), ...opts.labels },
        annotations: { [CONTROLLER_MANAGED_ATTACH_DETACH]: 'true' },
      },
      spec: { podCIDR: opts.podCIDR, podCIDRs: [opts.podCIDR] },
    };
  };

  /** One registration attempt: create, or reconcile the existing Node (restart). */
  const tryRegister = async (): Promise<void> => {
    const node = initialNode();
    const events = apply(node);
    try {
      const created = await opts.client.create(RESOURCES.nodes, '', node);
      postedReady = isReady(created as NodeObject);
      lastReport = clock.now();
      record(events);
      log.info({ podCIDR: opts.podCIDR, ready: postedReady }, 'successfully registered node');
      return;
    } catch (e) {
      if (!isStatusCode(e, 409)) throw e;
    }
    const existing = await opts.client.get<NodeObject & { metadata: { name: string } }>(RESOURCES.nodes, '', opts.nodeName);
    let changed = false;
    const labels = (existing.metadata.labels ??= {});
    for (const [k, v] of Object.entries(defaultNodeLabels(opts.nodeName, machine().operatingSystem, machine().architecture))) {
      if (labels[k] !== v) {
        labels[k] = v;
        changed = true;
      }
    }
    const annotations = (existing.metadata.annotations ??= {});
    if (annotations[CONTROLLER_MANAGED_ATTACH_DETACH] !== 'true') {
      annotations[CONTROLLER_MANAGED_ATTACH_DETACH] = 'true';
      changed = true;
    }
    const spec = (existing.spec ??= {});
    if (!spec.podCIDR) {
      spec.podCIDR = opts.podCIDR;
      spec.podCIDRs = [opts.podCIDR];
      changed = true;
    }
    if (changed) await opts.client.update(RESOURCES.nodes, existing);
    await syncStatus(true);
    log.info({ podCIDR: spec.podCIDR, ready: postedReady }, 'node was previously registered; updated it');
  };

  await observeRuntime();
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new Error(`registering node ${opts.nodeName}: aborted`);
    try {
      await tryRegister();
      break;
    } catch (e) {
      const wait = REGISTER_BACKOFF_MS[Math.min(attempt, REGISTER_BACKOFF_MS.length - 1)];
      log.warn({ err: (e as Error).message, retryInMs: wait }, 'unable to register node with API server');
      await sleep(clock, wait, opts.signal);
      await observeRuntime();
    }
  }

  const lease = createLeaseRenewer({ client: opts.client, nodeName: opts.nodeName, durationSeconds: opts.leaseDurationSeconds ?? NODE_LEASE_DURATION_SECONDS, now, log });
  const statusLoop = loop(clock, opts.statusUpdateIntervalMs ?? NODE_STATUS_UPDATE_FREQUENCY_MS, () => syncStatus(false), log, 'error updating node status, will retry');
  const leaseLoop = loop(clock, opts.leaseRenewIntervalMs ?? NODE_LEASE_RENEW_INTERVAL_MS, () => lease.renew(), log, 'failed to renew lease, will retry');
  try {
    await lease.renew();
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'failed to ensure lease exists, will retry');
  }
  // fastStatusUpdateOnce: a node that registered NotReady posts Ready as soon as the runtime
  // allows it, instead of at the next 10 s update; gives up after nodeReadyGracePeriod.
  const startedAt = clock.now();
  const fastLoop = loop(clock, opts.fastStatusIntervalMs ?? 100, async () => {
    if (postedReady || clock.now() - startedAt >= NODE_READY_GRACE_PERIOD_MS) return 'done';
    try {
      runtimeState.observe(await opts.runtime.status(), clock.now());
    } catch {
      return undefined;
    }
    if (runtimeState.errors(clock.now()).length > 0) return undefined;
    await syncStatus(false);
    return 'done';
  }, log, 'error updating node status, will retry');
  statusLoop.start();
  leaseLoop.start();
  if (!postedReady) fastLoop.start();

  return {
    ready: () => postedReady,
    syncStatus,
    async stop() {
      await Promise.all([statusLoop.stop(), leaseLoop.stop(), fastLoop.stop()]);
    },
  };
}
