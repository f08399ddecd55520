// The running scheduler (pkg/scheduler: scheduling queue, cache, schedule_one.go): pods that
// are unbound, not terminating and ask for default-scheduler go through one pure schedule()
// cycle each; the chosen node is "assumed" at once (so the next decision already counts the
// pod, before the informer shows the binding), and the binding POST runs concurrently, bounded.
// Failures go to a back-off (1 s doubling to 10 s, upstream's podInitialBackoff/podMaxBackoff)
// and unschedulable pods are retried when nodes change.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { ItemExponentialFailureRateLimiter, WorkQueue } from '../common/workqueue.js';
import { isStatusCode, objectKey, RESOURCES, type ApiObject, type Client } from '../client/index.js';
import { involvedPod, type EventRecorder } from '../client/events.js';
import { InformerFactory } from '../controllers/informers.js';
import { schedule } from './schedule.js';

/** The scheduler name pods ask for by default. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** Bindings in flight at once. */
const BIND_CONCURRENCY = 32;

/** Dependencies of the scheduling loop. */
export interface SchedulerCoreOptions {
  client: Client;
  clock: Clock;
  log: Logger;
  recorder: EventRecorder;
  /** Initial and maximum back-off of a pod that failed (default 1 s and 10 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** A running scheduling loop. */
export interface SchedulerCore {
  /** Pods bound by this loop so far. */
  bound(): number;
  stop(): Promise<void>;
}

/** Whether the pod waits for this scheduler. */
export function needsScheduling(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.spec?.nodeName && (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === DEFAULT_SCHEDULER_NAME
    && !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

interface NodePods {
  pods: Map<string, Pod>;
  list?: Pod[];
}

/** Starts the scheduling loop (the caller holds leadership). */
export function startSchedulerCore(opts: SchedulerCoreOptions): SchedulerCore {
  const { client, clock, log, recorder } = opts;
  const informers = new InformerFactory(client, log);
  const podInformer = informers.for<ApiObject & Pod>(RESOURCES.pods);
  const nodeInformer = informers.for<ApiObject & Node>(RESOURCES.nodes);
  const queue = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(opts.initialBackoffMs ?? 1000, opts.maxBackoffMs ?? 10_000) });
  // The scheduler cache: pods by node, from the informer plus assumed bindings.
  const byNode = new Map<string, NodePods>();
  const placed = new Map<string, string>();
  const assumed = new Map<string, string>();
  const unschedulable = new Set<string>();
  let boundCount = 0;
  let inFlight = 0;
  const slotWaiters: Array<() => void> = [];

  const place = (key: string, node: string, pod: Pod): void => {
    const prev = placed.get(key);
    if (prev && prev !== node) unplace(key);
    let n = byNode.get(node);
    if (!n) byNode.set(node, (n = { pods: new Map() }));
    n.pods.set(key, pod);
    n.list = undefined;
    placed.set(key, node);
  };
  const unplace = (key: string): void => {
    const node = placed.get(key);
    if (!node) return;
    const n = byNode.get(node);
    if (n) { n.pods.delete(key); n.list = undefined; }
    placed.delete(key);
  };
  const podsOn = new Proxy({} as Record<string, Pod[] | undefined>, {
    get(_t, node: string) {
      const n = byNode.get(node);
      if (!n) return undefined;
      return (n.list ??= [...n.pods.values()]);
    },
  });

  const observe = (pod: ApiObject & Pod): void => {
    const key = objectKey(pod);
    const phase = pod.status?.phase;
    if (pod.spec?.nodeName) {
      assumed.delete(key);
      unschedulable.delete(key);
      if (phase === 'Succeeded' || phase === 'Failed') unplace(key);
      else place(key, pod.spec.nodeName, pod);
      return;
    }
    if (!assumed.has(key)) unplace(key);
    if (needsScheduling(pod)) queue.add(key);
  };
  podInformer.addHandlers({
    onAdd: observe,
    onUpdate: (_o, n) => observe(n),
    onDelete: (p) => {
      const key = objectKey(p);
      assumed.delete(key);
      unschedulable.delete(key);
      unplace(key);
    },
  });
  const retryUnschedulable = (): void => {
    for (const key of unschedulable) queue.add(key);
    unschedulable.clear();
  };
  nodeInformer.addHandlers({ onAdd: retryUnschedulable, onUpdate: retryUnschedulable, onDelete: retryUnschedulable });

  const acquireSlot = async (): Promise<void> => {
    while (inFlight >= BIND_CONCURRENCY) await new Promise<void>((r) => slotWaiters.push(r));
    inFlight++;
  };
  const releaseSlot = (): void => {
    inFlight--;
    slotWaiters.shift()?.();
  };

  const failed = (key: string, pod: ApiObject & Pod, message: string): void => {
    recorder.event(involvedPod(pod), 'Warning', 'FailedScheduling', message);
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cond?.status !== 'False' || cond.message !== message) {
      const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: new Date(Math.floor(clock.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }];
      client.patch(RESOURCES.pods, pod.metadata.namespace ?? '', String(pod.metadata.name), { status: { conditions } }, 'merge', 'status')
        .catch((e: unknown) => log.debug({ pod: key, err: (e as Error).message }, 'pod condition not written'));
    }
    unschedulable.add(key);
    queue.addRateLimited(key);
  };

  const bind = async (key: string, pod: ApiObject & Pod, node: string, message: string): Promise<void> => {
    try {
      await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/pods/${encodeURIComponent(String(pod.metadata.name))}/binding`, {
        apiVersion: 'v1', kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      boundCount++;
      queue.forget(key);
      recorder.event(involvedPod(pod), 'Normal', 'Scheduled', message);
    } catch (e) {
      if (assumed.get(key) === node) {
        assumed.delete(key);
        unplace(key);
      }
      if (isStatusCode(e, 404) || isStatusCode(e, 409)) return; // gone, or bound meanwhile: the informer will tell
      recorder.event(involvedPod(pod), 'Warning', 'FailedScheduling', `Binding rejected: ${(e as Error).message}`);
      queue.addRateLimited(key);
    } finally {
      releaseSlot();
    }
  };

  const loop = async (): Promise<void> => {
    await informers.synced();
    for (;;) {
      const next = await queue.get();
      if (next.shutdown) return;
      const key = next.item;
      try {
        const [ns, name] = key.split('/');
        const pod = podInformer.get(ns, name);
        if (!pod || !needsScheduling(pod) || assumed.has(key)) continue;
        const result = schedule(pod, nodeInformer.list(), podsOn);
        if ('error' in result) {
          failed(key, pod, result.error);
          continue;
        }
        assumed.set(key, result.node);
        place(key, result.node, { ...pod, spec: { ...pod.spec, nodeName: result.node } } as Pod);
        await acquireSlot();
        void bind(key, pod, result.node, result.event.message);
      } catch (e) {
        log.error({ pod: key, err: (e as Error).message }, 'scheduling cycle failed');
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  const running = loop();

  return {
    bound: () => boundCount,
    async stop() {
      queue.shutDown();
      const synced = podInformer.hasSynced() && nodeInformer.hasSynced();
      informers.stop();
      if (synced) await running;
      while (inFlight > 0) await new Promise<void>((r) => slotWaiters.push(r));
      await recorder.flush();
    },
  };
}
