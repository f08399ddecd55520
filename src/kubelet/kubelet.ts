// startKubelet: the node agent's pod side. An informer on the pods bound to this node feeds one
// worker per pod UID (pods/workers.ts); a PLEG-like relist of the runtime every second notices
// container exits and triggers the pod's worker, and cleans up containers whose pod is gone from
// the API (deleted while the agent was down); every pod is resynced periodically (upstream 10 s
// while backing off), which re-emits BackOff events and restarts containers whose back-off ran out.
//
//   informer(spec.nodeName=<node>) ──▶ PodWorkers ──▶ PodSyncer.sync ──▶ Runtime / ImageManager
//   relist (1 s) ──changed pod──────────▲      └──▶ StatusManager ──▶ PATCH pods/<name>/status
//   resync (10 s) ──every pod───────────┘
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../client/events.js';
import { RESOURCES, startInformer, type ApiObject, type Client, type Informer } from '../client/index.js';
import type { Logger } from '../common/log.js';
import type { ImageManager } from './images/index.js';
import { killOrphan, PodSyncer, PodWorkers, relist, StatusManager, type PodConfigBuilder, type VolumeManager } from './pods/index.js';
import type { Runtime } from './runtime/types.js';

/**
 * Whether an update is one the kubelet acts on: spec, labels, annotations or deletion changed
 * (upstream's pod config compares exactly these and takes status-only updates silently, so the
 * kubelet's own status writes do not make every pod sync again).
 */
export function podChanged(old: Pod, cur: Pod): boolean {
  const pick = (p: Pod): string => JSON.stringify([p.spec, p.metadata?.labels, p.metadata?.annotations, p.metadata?.deletionTimestamp, p.metadata?.deletionGracePeriodSeconds]);
  return pick(old) !== pick(cur);
}

/** What the kubelet needs; the node agent (coordinator) builds these. */
export interface KubeletOptions {
  nodeName: string;
  /** Authenticated as `system:node:<name>`. */
  client: Client;
  runtime: Runtime;
  images: ImageManager;
  /** src/client/events.ts recorder with source `{ component: 'kubelet', host: nodeName }`. */
  recorder: EventRecorder;
  /** Kubelet root (contracts.md layout). */
  rootDir: string;
  podConfig: PodConfigBuilder;
  volumes: VolumeManager;
  log: Logger;
  /** Milliseconds since the epoch (tests inject a clock). */
  now?: () => number;
  /** Resync period of every pod worker (upstream 10 s, with PLEG relist 1 s). */
  resyncMs?: number;
  /** Relist period of the runtime (upstream's generic PLEG: 1 s). */
  relistMs?: number;
  /** The node's address for status.hostIP; default: the Node object's InternalIP. */
  nodeIP?: string;
}

/** A running kubelet. */
export interface Kubelet {
  /** Pods this kubelet runs now (for the kubelet API's /pods). */
  pods(): Pod[];
  /** Stops workers; leaves containers running (a restarted kubelet adopts them). */
  stop(): Promise<void>;
}

/**
 * Starts the kubelet: resolves once the pod informer has synced and the first relist ran.
 * Called by the node agent after the Node is registered.
 */
export async function startKubelet(opts: KubeletOptions): Promise<Kubelet> {
  const log = opts.log.child({ component: 'kubelet' });
  const now = opts.now ?? Date.now;
  const ac = new AbortController();
  let nodeIP = opts.nodeIP ?? '';
  const lookupNodeIP = async (): Promise<string> => {
    if (nodeIP) return nodeIP;
    try {
      const node = await opts.client.get<ApiObject>(RESOURCES.nodes, '', opts.nodeName);
      const addrs = (node.status?.addresses ?? []) as { type: string; address: string }[];
      nodeIP = addrs.find((a) => a.type === 'InternalIP')?.address ?? '';
    } catch {
      // Not registered yet: the next status update asks again.
    }
    return nodeIP;
  };

  const statusManager = new StatusManager(opts.client, log, now);
  const syncer = new PodSyncer({
    client: opts.client, runtime: opts.runtime, images: opts.images, recorder: opts.recorder, podConfig: opts.podConfig,
    volumes: opts.volumes, statusManager, log, now, rootDir: opts.rootDir, nodeIP: lookupNodeIP,
  });
  const workers = new PodWorkers((pod) => syncer.sync(pod, ac.signal), log);
  const removing = new Set<string>();
  const removeWorker = (pod: Pod): void => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    removing.add(uid);
    void workers.remove(uid).finally(() => {
      removing.delete(uid);
      syncer.forget(uid);
    });
  };

  const informer: Informer<ApiObject> = startInformer<ApiObject>(opts.client, RESOURCES.pods, {
    fieldSelector: `spec.nodeName=${opts.nodeName}`,
    log,
    handlers: {
      onAdd: (p) => workers.update(p as Pod),
      onUpdate: (old, p) => (podChanged(old as Pod, p as Pod) ? workers.update(p as Pod) : workers.record(p as Pod)),
      onDelete: (p) => removeWorker(p as Pod),
    },
  });
  await informer.synced();

  let last = new Map<string, string>();
  const cleaning = new Set<string>();
  const relistOnce = async (): Promise<void> => {
    const snap = await relist(opts.runtime, ac.signal);
    for (const [uid, entry] of snap.pods) {
      if (workers.has(uid)) {
        if (last.get(uid) !== entry) workers.trigger(uid);
      } else if (!removing.has(uid) && !cleaning.has(uid)) {
        cleaning.add(uid);
        log.info({ uid }, 'removing containers of a pod that no longer exists');
        void killOrphan(opts.runtime, opts.volumes, opts.rootDir, uid, ac.signal)
          .catch((e: unknown) => log.warn({ uid, err: (e as Error).message }, 'orphan cleanup failed'))
          .finally(() => cleaning.delete(uid));
      }
    }
    last = snap.pods;
  };

  const timers = new Set<NodeJS.Timeout>();
  const every = (ms: number, fn: () => Promise<void> | void): void => {
    const tick = (): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        if (ac.signal.aborted) return;
        void Promise.resolve().then(fn).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'kubelet loop failed')).finally(() => {
          if (!ac.signal.aborted) tick();
        });
      }, ms);
      timers.add(t);
    };
    tick();
  };
  await relistOnce().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'first relist failed'));
  every(opts.relistMs ?? 1000, relistOnce);
  every(opts.resyncMs ?? 10_000, () => {
    for (const uid of workers.uids()) workers.trigger(uid);
  });
  log.info({ node: opts.nodeName }, 'kubelet started');

  return {
    pods: () => informer.list() as Pod[],
    async stop() {
      ac.abort();
      for (const t of timers) clearTimeout(t);
      informer.stop();
      await workers.stop();
      log.info({ node: opts.nodeName }, 'kubelet stopped');
    },
  };
}
