// The running node lifecycle controller (node_lifecycle_controller.go monitorNodeHealth every
// nodeMonitorPeriod) with the taint-eviction controller (tainteviction/taint_eviction.go): each
// pass checks every node's heartbeat (Ready condition and its kube-node-lease Lease), writes
// Unknown conditions and upstream's condition taints, marks pods of a node that left Ready not
// ready, and deletes pods whose tolerations of the node's NoExecute taints ran out.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { TimerHandle } from '../../common/clock.js';
import { isStatusCode, RESOURCES, type ApiObject } from '../../client/index.js';
import { involvedObject, involvedPod } from '../../client/events.js';
import type { ControllerContext, RunningController } from '../context.js';
import { parseTime, rfc3339 } from '../objects.js';
import { NODE_MONITOR_GRACE_PERIOD_MS, NODE_STARTUP_GRACE_PERIOD_MS, evictionFor, evictionRecord, planNodeHealth } from './lifecycle.js';

/** --node-monitor-period default. */
export const NODE_MONITOR_PERIOD_MS = 5_000;

/** Timings of the node lifecycle controller (tests shorten them). */
export interface NodeLifecycleOptions {
  monitorPeriodMs?: number;
  gracePeriodMs?: number;
  startupGracePeriodMs?: number;
}

/** Starts the node lifecycle and taint-eviction controller. */
export function startNodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): RunningController {
  const period = opts.monitorPeriodMs ?? NODE_MONITOR_PERIOD_MS;
  const nodeInformer = ctx.informers.for<ApiObject & Node>(RESOURCES.nodes);
  const leaseInformer = ctx.informers.for(RESOURCES.leases, { namespace: 'kube-node-lease' });
  const podInformer = ctx.informers.for<ApiObject & Pod>(RESOURCES.pods);
  const nodeEvents = ctx.recorder('node-controller');
  const evictionEvents = ctx.recorder('taint-eviction-controller');
  const log = ctx.log.child({ controller: 'nodelifecycle' });
  const evicting = new Set<string>();
  let timer: TimerHandle | undefined;
  let stopped = false;
  let pass: Promise<void> = Promise.resolve();

  const checkNode = async (node: ApiObject & Node, now: number): Promise<ApiObject & Node> => {
    const name = String(node.metadata.name);
    const lease = leaseInformer.get('kube-node-lease', name);
    const plan = planNodeHealth(node, now, {
      gracePeriodMs: opts.gracePeriodMs ?? NODE_MONITOR_GRACE_PERIOD_MS,
      startupGracePeriodMs: opts.startupGracePeriodMs ?? NODE_STARTUP_GRACE_PERIOD_MS,
      leaseRenewTime: parseTime(lease?.spec?.renewTime),
    });
    let current = node;
    if (plan.conditionsChanged) {
      current = await ctx.client.patch(RESOURCES.nodes, '', name, { status: { conditions: plan.conditions } }, 'merge', 'status');
    }
    if (plan.taintsChanged) {
      current = await ctx.client.patch(RESOURCES.nodes, '', name, { spec: { taints: plan.taints.length ? plan.taints : null } }, 'merge');
    }
    for (const e of plan.events) nodeEvents.event(involvedObject({ ...node, apiVersion: 'v1', kind: 'Node' }), e.type, e.reason, e.message);
    if (plan.markPodsNotReady) {
      // controller_utils.go MarkPodsNotReady: the Ready condition of each pod on the node goes False.
      for (const pod of podInformer.list().filter((p) => p.spec?.nodeName === name)) {
        const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' && c.status !== 'False' ? { ...c, status: 'False', lastTransitionTime: rfc3339(now) } : c));
        await ctx.client.patch(RESOURCES.pods, String(pod.metadata.namespace), String(pod.metadata.name), { status: { conditions } }, 'merge', 'status')
          .catch((e: unknown) => { if (!isStatusCode(e, 404)) throw e; });
      }
    }
    return current;
  };

  const evict = async (pod: ApiObject & Pod, now: number): Promise<void> => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (evicting.has(key)) return;
    evicting.add(key);
    try {
      const rec = evictionRecord(pod, now);
      evictionEvents.event(involvedPod(pod), rec.event.type, rec.event.reason, rec.event.message);
      const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), rec.condition];
      await ctx.client.patch(RESOURCES.pods, String(pod.metadata.namespace), String(pod.metadata.name), { status: { conditions } }, 'merge', 'status');
      await ctx.client.delete(RESOURCES.pods, String(pod.metadata.namespace), String(pod.metadata.name));
      log.info({ pod: key, node: pod.spec?.nodeName }, 'evicted pod for NoExecute taint');
    } catch (e) {
      if (!isStatusCode(e, 404)) log.warn({ pod: key, err: (e as Error).message }, 'eviction failed');
    } finally {
      evicting.delete(key);
    }
  };

  const monitor = async (): Promise<void> => {
    const now = ctx.clock.now();
    const nodes = new Map<string, ApiObject & Node>();
    for (const node of nodeInformer.list()) {
      try {
        nodes.set(String(node.metadata.name), await checkNode(node, now));
      } catch (e) {
        log.warn({ node: node.metadata.name, err: (e as Error).message }, 'node health update failed');
        nodes.set(String(node.metadata.name), node);
      }
    }
    let next = Infinity;
    for (const pod of podInformer.list()) {
      const node = pod.spec?.nodeName ? nodes.get(pod.spec.nodeName) : undefined;
      if (!node || pod.metadata.deletionTimestamp) continue;
      const d = evictionFor(pod, node, now);
      if (!d.evict) continue;
      if (d.at <= now) await evict(pod, now);
      else next = Math.min(next, d.at);
    }
    schedule(Math.min(period, next - now));
  };

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer?.cancel();
    timer = ctx.clock.setTimer(() => { pass = pass.then(monitor).catch((e: unknown) => {
      log.error({ err: (e as Error).message }, 'node monitor pass failed');
      schedule(period);
    }); }, Math.max(0, ms));
  };
  void ctx.informers.synced().then(() => schedule(0));
  return {
    async stop() {
      stopped = true;
      timer?.cancel();
      await pass;
      await nodeEvents.flush();
      await evictionEvents.flush();
    },
  };
}
