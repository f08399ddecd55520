// Node lifecycle decisions (k8s.io/kubernetes/pkg/controller/nodelifecycle/node_lifecycle_controller.go
// and pkg/controller/tainteviction/taint_eviction.go): a node that stops heart-beating turns
// Ready=Unknown after the grace period, nodes get upstream's condition taints, and pods on a node
// with NoExecute taints are evicted once their toleration time runs out.
import type { Node, NodeCondition, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { parseTime, rfc3339, type ControllerEvent } from '../objects.js';

/** --node-monitor-grace-period default: 50s since 1.32 (kubernetes/kubernetes#126287; 40s before). */
export const NODE_MONITOR_GRACE_PERIOD_MS = 50_000;
/** --node-startup-grace-period default. */
export const NODE_STARTUP_GRACE_PERIOD_MS = 60_000;

/** Well-known taint keys (k8s.io/api/core/v1 well_known_taints.go). */
export const TaintKeys = {
  NotReady: 'node.kubernetes.io/not-ready',
  Unreachable: 'node.kubernetes.io/unreachable',
  Unschedulable: 'node.kubernetes.io/unschedulable',
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
  NetworkUnavailable: 'node.kubernetes.io/network-unavailable',
} as const;

const WATCHED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** What the controller decides for one node. */
export interface NodeHealthPlan {
  /** Conditions after the check (Ready and the pressure conditions set to Unknown when stale). */
  conditions: NodeCondition[];
  /** Whether conditions changed (write node status). */
  conditionsChanged: boolean;
  /** The node's taints after applying upstream's condition taints. */
  taints: Taint[];
  /** Whether taints changed (update the node). */
  taintsChanged: boolean;
  /** `NodeNotReady` when the node's Ready condition left True in this pass. */
  events: ControllerEvent[];
  /** Ready went from True to something else: mark the node's pods not ready (MarkPodsNotReady). */
  markPodsNotReady: boolean;
}

/** Options for planNodeHealth. */
export interface NodeHealthOptions {
  /** ms without a heartbeat before the node is Unknown (NODE_MONITOR_GRACE_PERIOD_MS). */
  gracePeriodMs?: number;
  /** ms a new node may take to post its first status (NODE_STARTUP_GRACE_PERIOD_MS). */
  startupGracePeriodMs?: number;
  /** The node's Lease renewTime (ms), which counts as a heartbeat too. */
  leaseRenewTime?: number;
}

function taintKey(t: Taint): string {
  return `${t.key}:${t.effect}`;
}

/**
 * tryUpdateNodeHealth + the tainting passes for one node at `now`. The last heartbeat is the
 * later of the Ready condition's lastHeartbeatTime and the Lease's renewTime.
 */
export function planNodeHealth(node: Node, now: number, opts: NodeHealthOptions = {}): NodeHealthPlan {
  const grace = opts.gracePeriodMs ?? NODE_MONITOR_GRACE_PERIOD_MS;
  const startup = opts.startupGracePeriodMs ?? NODE_STARTUP_GRACE_PERIOD_MS;
  const old = node.status?.conditions ?? [];
  const conditions = old.map((c) => ({ ...c }));
  const ready = conditions.find((c) => c.type === 'Ready');
  const wasReady = ready?.status === 'True';
  const t = rfc3339(now);
  const events: ControllerEvent[] = [];

  if (!ready) {
    const created = parseTime(node.metadata?.creationTimestamp) ?? now;
    if (now > created + startup) {
      for (const type of WATCHED_CONDITIONS) {
        const existing = conditions.find((c) => c.type === type);
        const replacement: NodeCondition = {
          type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.',
          lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: t,
        };
        if (existing) Object.assign(existing, replacement);
        else conditions.push(replacement);
      }
    }
  } else {
    const heartbeat = Math.max(parseTime(ready.lastHeartbeatTime) ?? 0, opts.leaseRenewTime ?? 0);
    if (now > heartbeat + grace) {
      for (const type of WATCHED_CONDITIONS) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: t });
        } else if (c.status !== 'Unknown') {
          Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: t });
        }
      }
    }
  }
  const newReady = conditions.find((c) => c.type === 'Ready');
  const markPodsNotReady = wasReady && newReady?.status !== 'True';
  if (markPodsNotReady) events.push({ type: 'Normal', reason: 'NodeNotReady', message: `Node ${node.metadata?.name} status is now: NodeNotReady` });

  const taints = desiredTaints(node, conditions, now);
  const before = (node.spec?.taints ?? []).map(taintKey).sort().join(',');
  const after = taints.map(taintKey).sort().join(',');
  return {
    conditions,
    conditionsChanged: JSON.stringify(conditions) !== JSON.stringify(old),
    taints,
    taintsChanged: before !== after,
    events,
    markPodsNotReady,
  };
}

/**
 * The node's taints with upstream's condition taints reconciled: NoSchedule for not-ready,
 * unreachable, pressure, network-unavailable and unschedulable; NoExecute for not-ready
 * (Ready=False) and unreachable (Ready=Unknown), stamped with timeAdded. Other taints are kept.
 */
export function desiredTaints(node: Node, conditions: NodeCondition[] = node.status?.conditions ?? [], now = Date.now()): Taint[] {
  const status = (type: string): string | undefined => conditions.find((c) => c.type === type)?.status;
  const want: Taint[] = [];
  const ready = status('Ready');
  if (ready === 'False') want.push({ key: TaintKeys.NotReady, effect: 'NoSchedule' }, { key: TaintKeys.NotReady, effect: 'NoExecute' });
  if (ready === 'Unknown') want.push({ key: TaintKeys.Unreachable, effect: 'NoSchedule' }, { key: TaintKeys.Unreachable, effect: 'NoExecute' });
  if (status('MemoryPressure') === 'True') want.push({ key: TaintKeys.MemoryPressure, effect: 'NoSchedule' });
  if (status('DiskPressure') === 'True') want.push({ key: TaintKeys.DiskPressure, effect: 'NoSchedule' });
  if (status('PIDPressure') === 'True') want.push({ key: TaintKeys.PIDPressure, effect: 'NoSchedule' });
  if (status('NetworkUnavailable') === 'True') want.push({ key: TaintKeys.NetworkUnavailable, effect: 'NoSchedule' });
  if (node.spec?.unschedulable) want.push({ key: TaintKeys.Unschedulable, effect: 'NoSchedule' });

  const managed = new Set<string>(Object.values(TaintKeys));
  const existing = node.spec?.taints ?? [];
  const kept = existing.filter((t) => !managed.has(t.key));
  const out: Taint[] = [...kept];
  for (const w of want) {
    const prior = existing.find((t) => t.key === w.key && t.effect === w.effect);
    if (prior) out.push(prior);
    else out.push(w.effect === 'NoExecute' ? { ...w, timeAdded: rfc3339(now) } : w);
  }
  return out;
}

/** v1helper.Toleration.ToleratesTaint: key/operator/value/effect matching. */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  const op = tol.operator ?? 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (tol.value ?? '') === (taint.value ?? '');
  return false;
}

/** What the taint-eviction controller decides for one pod. */
export type EvictionDecision =
  | { evict: false }
  | { evict: true; at: number };

/**
 * taint_eviction.go processPodOnNode: a pod that does not tolerate every NoExecute taint of its
 * node is evicted now; otherwise at the earliest taint time + the smallest tolerationSeconds of
 * the tolerations used (never, if they tolerate forever). `now` stands in for a taint without a
 * timeAdded.
 */
export function evictionFor(pod: Pod, node: Node, now: number): EvictionDecision {
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  if (taints.length === 0) return { evict: false };
  const tolerations = pod.spec?.tolerations ?? [];
  const used: Toleration[] = [];
  let since = Infinity;
  for (const taint of taints) {
    const matching = tolerations.filter((tol) => toleratesTaint(tol, taint));
    if (matching.length === 0) return { evict: true, at: now };
    used.push(...matching);
    since = Math.min(since, parseTime(taint.timeAdded) ?? now);
  }
  let min = Infinity;
  for (const tol of used) {
    if (tol.tolerationSeconds === undefined || tol.tolerationSeconds === null) continue;
    min = Math.min(min, Math.max(0, tol.tolerationSeconds) * 1000);
  }
  if (min === Infinity) return { evict: false };
  return { evict: true, at: Math.min(since, now) + min };
}

/** The event and pod condition upstream records when it evicts a pod for a NoExecute taint. */
export function evictionRecord(pod: Pod, now: number): { event: ControllerEvent; condition: { type: string; status: string; reason: string; message: string; lastTransitionTime: string } } {
  return {
    event: { type: 'Normal', reason: 'TaintManagerEviction', message: `Marking for deletion Pod ${pod.metadata?.namespace}/${pod.metadata?.name}` },
    condition: { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(now) },
  };
}
