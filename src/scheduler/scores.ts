// Score plugins of the default profile that apply without volumes or inter-pod affinity, with
// upstream's formulas and weights (pkg/scheduler/framework/plugins: tainttoleration,
// nodeaffinity, noderesources least_allocated.go and balanced_allocation.go, podtopologyspread
// with the system default constraints). Scores are 0..100 per plugin after normalization.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { effectiveTaints, termMatches, toleratesTaint } from './filters.js';
import { allocatable, podRequests, requestedOn } from './resources.js';

/** framework.MaxNodeScore. */
export const MAX_NODE_SCORE = 100;

/** A score plugin: raw scores per node, then normalization across nodes. */
export interface ScorePlugin {
  /** Plugin name, as upstream registers it. */
  name: string;
  /** Weight in the default profile. */
  weight: number;
  /** Raw score of one node. */
  score(pod: Pod, node: Node, podsOnNode: Pod[], ctx: ScoreContext): number;
  /** Normalizes raw scores in place (optional). */
  normalize?(scores: number[]): void;
}

/** Facts shared by every node's scoring. */
export interface ScoreContext {
  /** Number of nodes that passed the filters. */
  feasibleNodes: number;
}

/** helper.DefaultNormalizeScore. */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  const max = Math.max(0, ...scores);
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((MAX_NODE_SCORE * scores[i]) / max);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}

/** TaintToleration score: fewer untolerated PreferNoSchedule taints is better (weight 3). */
export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(pod, node) {
    const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return effectiveTaints(node).filter((t) => t.effect === 'PreferNoSchedule' && !tolerations.some((tol) => toleratesTaint(tol, t))).length;
  },
  normalize: (s) => defaultNormalize(s, true),
};

/** NodeAffinity score: sum of the weights of matching preferred terms (weight 2). */
export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  score(pod, node) {
    let total = 0;
    for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (p.weight !== 0 && termMatches(p.preference, node)) total += p.weight;
    }
    return total;
  },
  normalize: (s) => defaultNormalize(s, false),
};

function fractions(pod: Pod, node: Node, podsOnNode: Pod[]): Array<{ requested: number; capacity: number }> {
  const alloc = allocatable(node);
  const used = requestedOn(podsOnNode, true);
  const mine = podRequests(pod, true);
  return ['cpu', 'memory'].map((r) => ({ requested: (used[r] ?? 0) + (mine[r] ?? 0), capacity: alloc[r] ?? 0 }));
}

/** NodeResourcesFit LeastAllocated: more free cpu and memory after placing the pod is better (weight 1). */
export const leastAllocatedScore: ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  score(pod, node, podsOnNode) {
    let total = 0;
    for (const { requested, capacity } of fractions(pod, node, podsOnNode)) {
      if (capacity === 0 || requested > capacity) continue;
      total += Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
    }
    return Math.trunc(total / 2);
  },
};

/** NodeResourcesBalancedAllocation: cpu and memory used in similar proportion is better (weight 1). */
export const balancedAllocationScore: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score(pod, node, podsOnNode) {
    const f = fractions(pod, node, podsOnNode).map(({ requested, capacity }) => (capacity === 0 ? 0 : Math.min(1, requested / capacity)));
    const std = Math.abs(f[0] - f[1]) / 2;
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  },
};

/**
 * The pods that count as replicas of the same workload: same namespace, same controller owner
 * (upstream's system default spreading selects by the owning ReplicaSet's/Service's selector,
 * which for controller-made pods is the same set).
 */
export function sameWorkload(pod: Pod, other: Pod): boolean {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
  if (!owner || other.metadata?.deletionTimestamp) return false;
  return (other.metadata?.namespace ?? 'default') === (pod.metadata?.namespace ?? 'default')
    && other.metadata?.ownerReferences?.some((r) => r.controller && r.uid === owner) === true;
}

/**
 * PodTopologySpread with the system default constraint on kubernetes.io/hostname (maxSkew 3,
 * ScheduleAnyway): raw score = matching pods on the node * log(feasible nodes + 2) + (maxSkew - 1),
 * rounded; normalized so the emptiest node scores 100 (weight 2). The zone constraint only
 * counts when nodes carry topology.kubernetes.io/zone, which berth's nodes do not.
 */
export const podTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  score(pod, _node, podsOnNode, ctx) {
    if (!pod.metadata?.ownerReferences?.some((r) => r.controller)) return 0;
    const count = podsOnNode.filter((p) => sameWorkload(pod, p)).length;
    return Math.round(count * Math.log(ctx.feasibleNodes + 2) + (3 - 1));
  },
  normalize(scores) {
    if (scores.length === 0) return;
    const max = Math.max(...scores);
    const min = Math.min(...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
  },
};

/** The score plugins in the default profile's order. */
export const DEFAULT_SCORES: ReadonlyArray<ScorePlugin> = [taintTolerationScore, nodeAffinityScore, leastAllocatedScore, podTopologySpreadScore, balancedAllocationScore];
