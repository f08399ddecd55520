// The replicaset controller's decisions (k8s.io/kubernetes/pkg/controller/replicaset/replica_set.go,
// replica_set_utils.go, pkg/controller/controller_utils.go): how many pods to create or delete,
// which pods go first, the status it reports, and the events it records.
import type { ReplicaSet, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject } from '../../api/selectors.js';
import { clone, controllerOf, isPodActive, isPodAvailable, isPodReady, newControllerRef, parseTime, podReadyCondition, type ControllerEvent } from '../objects.js';

/** Upstream's cap on creates or deletes in one sync (replica_set.go BurstReplicas). */
export const BURST_REPLICAS = 500;
/** First batch size of slowStartBatch (controller_utils.go SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;
/** Annotation that orders deletions (controller.kubernetes.io/pod-deletion-cost, feature PodDeletionCost). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * slowStartBatch's batch sizes for `count` creates: 1, 2, 4, ... doubling, the last one cut to
 * what remains. The caller stops at the first batch with a failure, so a broken template costs
 * one failed create, not hundreds.
 */
export function slowStartBatches(count: number, initial = SLOW_START_INITIAL_BATCH_SIZE): number[] {
  const out: number[] = [];
  let remaining = count;
  let size = Math.min(remaining, initial);
  while (size > 0) {
    out.push(size);
    remaining -= size;
    size = Math.min(2 * size, remaining);
  }
  return out;
}

/**
 * controller.GetPodFromTemplate: the pod the ReplicaSet creates; its name comes from the API
 * server's generateName (`<rs>-` + 5 random characters, see generatePodName).
 */
export function podFromTemplate(rs: ReplicaSet): Pod {
  const t = clone(rs.spec?.template ?? {});
  const name = rs.metadata?.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${name}-`,
      namespace: rs.metadata?.namespace,
      labels: t.metadata?.labels,
      annotations: t.metadata?.annotations,
      finalizers: t.metadata?.finalizers,
      ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')],
    },
    spec: t.spec,
  };
}

const NAME_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * names.SimpleNameGenerator as the API server applies generateName: the base cut to 58
 * characters plus 5 characters from the vowel-free alphabet. `random` returns [0, 1).
 */
export function generatePodName(base: string, random: () => number = Math.random): string {
  const trimmed = base.length > 58 ? base.slice(0, 58) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHANUMS[Math.floor(random() * NAME_ALPHANUMS.length)];
  return trimmed + suffix;
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : 0;
}

function readyTime(pod: Pod): number | undefined {
  return isPodReady(pod) ? parseTime(podReadyCondition(pod)?.lastTransitionTime) : undefined;
}

// controller_utils.go afterOrZero: a missing time sorts first, then the later time.
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

// controller_utils.go logarithmicRankDiff: compares floor(log2(age in ns)), so pods of similar
// age (same power-of-two bucket) tie and are then ordered by UID.
function logRank(t: number, now: number): number {
  const ns = (now - t) * 1e6;
  return ns <= 0 ? -1 : Math.floor(Math.log2(ns));
}

function maxRestarts(pod: Pod): { regular: number; sidecar: number } {
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let regular = 0;
  let sidecar = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return { regular, sidecar };
}

function timeOrder(a: number | undefined, b: number | undefined, ua: string, ub: string, now: number): boolean {
  if (a === undefined || b === undefined) return afterOrZero(a, b);
  const diff = logRank(a, now) - logRank(b, now);
  if (diff === 0) return ua < ub;
  return diff < 0;
}

/**
 * controller.ActivePodsWithRanks.Less (LogarithmicScaleDown and PodDeletionCost on, as in 1.32):
 * true when pod a should be deleted before pod b. `rankA`/`rankB` count the related active pods
 * on the same node.
 */
export function deleteBefore(a: Pod, b: Pod, rankA: number, rankB: number, now: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  // 1. unassigned < assigned
  if (na !== nb && (na === '' || nb === '')) return na === '';
  // 2. Pending < Unknown < Running
  const pa = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  // 3. not ready < ready
  if (isPodReady(a) !== isPodReady(b)) return !isPodReady(a);
  // 4. lower pod-deletion-cost < higher
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) < deletionCost(b);
  // 5. more related pods on the same node < fewer
  if (rankA !== rankB) return rankA > rankB;
  const ua = a.metadata?.uid ?? '';
  const ub = b.metadata?.uid ?? '';
  // 6. ready for less time < more time (logarithmic buckets)
  if (isPodReady(a) && isPodReady(b)) {
    const ra = readyTime(a);
    const rb = readyTime(b);
    if (ra !== rb) return timeOrder(ra, rb, ua, ub, now);
  }
  // 7. more container restarts < fewer (regular containers, then sidecars)
  const xa = maxRestarts(a);
  const xb = maxRestarts(b);
  if (xa.regular !== xb.regular) return xa.regular > xb.regular;
  if (xa.sidecar !== xb.sidecar) return xa.sidecar > xb.sidecar;
  // 8. newer < older (logarithmic buckets)
  const ca = parseTime(a.metadata?.creationTimestamp);
  const cb = parseTime(b.metadata?.creationTimestamp);
  if (ca !== cb) return timeOrder(ca, cb, ua, ub, now);
  return false;
}

/**
 * replica_set.go getPodsToDelete: the `diff` pods to delete first. `related` are the active pods
 * of every ReplicaSet with the same owner (a Deployment's old and new ReplicaSets), used to
 * prefer deleting pods doubled up on a node.
 */
export function podsToDelete(pods: Pod[], related: Pod[], diff: number, now: number): Pod[] {
  if (diff >= pods.length) return pods.slice(0, diff);
  const onNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (!node || !isPodActive(p)) continue;
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod, i) => ({ pod, i, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => {
    if (deleteBefore(x.pod, y.pod, x.rank, y.rank, now)) return -1;
    if (deleteBefore(y.pod, x.pod, y.rank, x.rank, now)) return 1;
    return x.i - y.i;
  });
  return ranked.slice(0, diff).map((r) => r.pod);
}

/** What one sync of a ReplicaSet decides. */
export interface ReplicaSetPlan {
  /** Pods to create (0 when none), at most BURST_REPLICAS. */
  create: number;
  /** slowStartBatch sizes for `create`; stop at the first batch that has a failure. */
  createBatches: number[];
  /** Pods to delete, in upstream's order. */
  deletes: Pod[];
  /** The status computed from the pods as they are now (before the creates/deletes). */
  status: ReplicaSetStatus;
  /** Re-sync after this many ms: pods are ready but not yet available for minReadySeconds. */
  requeueAfterMs?: number;
}

/** replica_set_utils.go calculateStatus: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas. */
export function replicaSetStatus(rs: ReplicaSet, pods: Pod[], now: number, manageError?: { diff: number; message: string }): ReplicaSetStatus {
  const active = pods.filter(isPodActive);
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const template = labelSelectorFromObject({ matchLabels: templateLabels });
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of active) {
    if (template.matches(p.metadata?.labels ?? {})) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  const status: ReplicaSetStatus = { ...clone(rs.status ?? { replicas: 0 }) };
  const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    const reason = manageError.diff < 0 ? 'FailedCreate' : manageError.diff > 0 ? 'FailedDelete' : '';
    const t = new Date(Math.floor(now / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    status.conditions = [...(status.conditions ?? []), { type: 'ReplicaFailure', status: 'True', lastTransitionTime: t, reason, message: manageError.message }];
  } else if (!manageError && failure) {
    status.conditions = status.conditions?.filter((c) => c.type !== 'ReplicaFailure');
    if (status.conditions?.length === 0) delete status.conditions;
  }
  status.replicas = active.length;
  status.fullyLabeledReplicas = fully;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  status.observedGeneration = rs.metadata?.generation;
  return status;
}

/**
 * One sync of a ReplicaSet (replica_set.go syncReplicaSet + manageReplicas). `pods` are the pods
 * it controls (already claimed); `related` the active pods of its sibling ReplicaSets and itself.
 * A ReplicaSet being deleted only has its status computed.
 */
export function planReplicaSet(rs: ReplicaSet, pods: Pod[], related: Pod[], now: number): ReplicaSetPlan {
  const active = pods.filter(isPodActive);
  const desired = rs.spec?.replicas ?? 1;
  const status = replicaSetStatus(rs, pods, now);
  let create = 0;
  let deletes: Pod[] = [];
  if (!rs.metadata?.deletionTimestamp) {
    const diff = active.length - desired;
    if (diff < 0) create = Math.min(-diff, BURST_REPLICAS);
    else if (diff > 0) deletes = podsToDelete(active, related, Math.min(diff, BURST_REPLICAS), now);
  }
  const plan: ReplicaSetPlan = { create, createBatches: slowStartBatches(create), deletes, status };
  const minReady = rs.spec?.minReadySeconds ?? 0;
  if (minReady > 0 && status.readyReplicas === desired && status.availableReplicas !== desired) plan.requeueAfterMs = minReady * 1000;
  return plan;
}

/** The pods a ReplicaSet controls, by controller reference UID. */
export function podsControlledBy(rs: ReplicaSet, pods: Pod[]): Pod[] {
  const uid = rs.metadata?.uid;
  return pods.filter((p) => uid !== undefined && controllerOf(p.metadata)?.uid === uid);
}

/** `SuccessfulCreate` event for a created pod (controller_utils.go RealPodControl). */
export function createdEvent(podName: string): ControllerEvent {
  return { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${podName}` };
}

/** `SuccessfulDelete` event for a deleted pod. */
export function deletedEvent(podName: string): ControllerEvent {
  return { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${podName}` };
}

/** `FailedCreate` warning for a create the API server refused. */
export function failedCreateEvent(err: string): ControllerEvent {
  return { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${err}` };
}

/** `FailedDelete` warning for a delete that failed. */
export function failedDeleteEvent(err: string): ControllerEvent {
  return { type: 'Warning', reason: 'FailedDelete', message: `Error deleting: ${err}` };
}
