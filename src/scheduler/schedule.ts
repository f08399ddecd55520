// One scheduling cycle as a pure function (pkg/scheduler/schedule_one.go): filter every node,
// score the feasible ones, pick the best; or explain, in upstream's FitError format, why none fits.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { DEFAULT_FILTERS, type Filter, type FilterStatus } from './filters.js';
import { DEFAULT_SCORES, type ScorePlugin } from './scores.js';

/** Upstream's message when the cluster has no nodes at all (ErrNoNodesAvailable). */
export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

/** An event the scheduler records on the pod. */
export interface SchedulerEvent {
  type: 'Normal' | 'Warning';
  reason: 'Scheduled' | 'FailedScheduling';
  message: string;
}

/** The outcome of one cycle. */
export type ScheduleResult =
  | { node: string; event: SchedulerEvent; scores: Record<string, number> }
  | { error: string; event: SchedulerEvent; statuses: Record<string, FilterStatus> };

/** Pods already bound, by node name. */
export type PodsOnNodes = Map<string, Pod[]> | Record<string, Pod[] | undefined>;

/** Options for schedule(). */
export interface ScheduleOptions {
  /** Filters to run (DEFAULT_FILTERS). */
  filters?: ReadonlyArray<Filter>;
  /** Score plugins (DEFAULT_SCORES). */
  scores?: ReadonlyArray<ScorePlugin>;
}

function podsOn(m: PodsOnNodes, node: string): Pod[] {
  return (m instanceof Map ? m.get(node) : m[node]) ?? [];
}

/** The `Scheduled` event message: `Successfully assigned default/web-x to node01`. */
export function scheduledMessage(pod: Pod, node: string): string {
  return `Successfully assigned ${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name} to ${node}`;
}

// framework.FitError.Error(): `0/N nodes are available:` then each part through SeparatorFormat
// (" %v."): the "<count> <reason>" strings sorted as strings and joined by ", ", then the
// PostFilter message. The PostFilter message is itself a FitError ending in ".", so upstream's
// event ends in "..", which users see verbatim in `kubectl describe pod`.
function fitError(n: number, reasons: string[], postFilter?: string): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].map(([r, c]) => `${c} ${r}`).sort();
  let msg = `0/${n} nodes are available:`;
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  if (postFilter) msg += ` ${postFilter}.`;
  return msg;
}

/**
 * The FailedScheduling message for the given per-node filter failures, including the
 * DefaultPreemption PostFilter's part: nodes failing with UnschedulableAndUnresolvable are
 * "Preemption is not helpful for scheduling"; the others found no victims (berth schedules every
 * pod at the same priority, so there is never a lower-priority pod to preempt).
 */
export function fitErrorMessage(pod: Pod, numNodes: number, statuses: FilterStatus[]): string {
  const reasons = statuses.flatMap((s) => s.reasons);
  if (pod.spec?.preemptionPolicy === 'Never') return fitError(numNodes, reasons, 'preemption: not eligible due to preemptionPolicy=Never.');
  const post = statuses.map((s) => (s.code === 'UnschedulableAndUnresolvable' ? 'Preemption is not helpful for scheduling' : 'No preemption victims found for incoming pod'));
  return fitError(numNodes, reasons, `preemption: ${fitError(numNodes, post)}`);
}

/**
 * Schedules one pod: the first failing filter of each node is that node's reason; among feasible
 * nodes the highest weighted score wins. Upstream breaks ties at random; we take the node that
 * sorts first by name, so the outcome is reproducible.
 */
export function schedule(pod: Pod, nodes: Node[], podsOnNodes: PodsOnNodes, opts: ScheduleOptions = {}): ScheduleResult {
  const filters = opts.filters ?? DEFAULT_FILTERS;
  const plugins = opts.scores ?? DEFAULT_SCORES;
  if (nodes.length === 0) {
    return { error: NO_NODES_MESSAGE, event: { type: 'Warning', reason: 'FailedScheduling', message: NO_NODES_MESSAGE }, statuses: {} };
  }
  const sorted = [...nodes].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  const feasible: Node[] = [];
  const statuses: Record<string, FilterStatus> = {};
  for (const node of sorted) {
    const name = node.metadata?.name ?? '';
    let failed: FilterStatus | undefined;
    for (const f of filters) {
      failed = f(pod, node, podsOn(podsOnNodes, name));
      if (failed) break;
    }
    if (failed) statuses[name] = failed;
    else feasible.push(node);
  }
  if (feasible.length === 0) {
    const message = fitErrorMessage(pod, nodes.length, Object.values(statuses));
    return { error: message, event: { type: 'Warning', reason: 'FailedScheduling', message }, statuses };
  }
  const totals = new Array<number>(feasible.length).fill(0);
  if (feasible.length > 1) {
    const ctx = { feasibleNodes: feasible.length };
    for (const p of plugins) {
      const raw = feasible.map((n) => p.score(pod, n, podsOn(podsOnNodes, n.metadata?.name ?? ''), ctx));
      p.normalize?.(raw);
      raw.forEach((s, i) => { totals[i] += s * p.weight; });
    }
  }
  let best = 0;
  for (let i = 1; i < feasible.length; i++) if (totals[i] > totals[best]) best = i;
  const node = feasible[best].metadata?.name ?? '';
  const scores = Object.fromEntries(feasible.map((n, i) => [n.metadata?.name ?? '', totals[i]]));
  return { node, event: { type: 'Normal', reason: 'Scheduled', message: scheduledMessage(pod, node) }, scores };
}
