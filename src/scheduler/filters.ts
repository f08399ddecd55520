// The default profile's filter plugins that matter without volumes, in upstream's order
// (pkg/scheduler/framework/plugins/{nodeunschedulable,nodename,tainttoleration,nodeaffinity,
// nodeports,noderesources}). Each returns undefined when the node fits, or a status whose reason
// strings are upstream's, aggregated into the FailedScheduling message.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { allocatable, podRequests, requestedOn } from './resources.js';

/** framework.Code values a filter can return. */
export type FilterCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

/** Why a node does not fit. */
export interface FilterStatus {
  /** Plugin name, as upstream registers it. */
  plugin: string;
  /** UnschedulableAndUnresolvable: preemption cannot help. */
  code: FilterCode;
  /** Upstream's reason strings (one per insufficient resource for NodeResourcesFit). */
  reasons: string[];
}

/** A filter plugin: undefined when the node fits. `podsOnNode` are the pods already bound there. */
export type Filter = (pod: Pod, node: Node, podsOnNode: Pod[]) => FilterStatus | undefined;

/** Upstream's reason strings. */
export const FilterReasons = {
  NodeUnschedulable: 'node(s) were unschedulable',
  NodeName: "node(s) didn't match the requested node name",
  NodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  NodePorts: "node(s) didn't have free ports for the requested pod ports",
  TooManyPods: 'Too many pods',
} as const;

/** v1helper ToleratesTaint. */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  const op = tol.operator ?? 'Equal';
  if (op === 'Exists') return true;
  return op === 'Equal' && (tol.value ?? '') === (taint.value ?? '');
}

/**
 * The taints the scheduler sees: the node's own, plus the not-ready / unreachable NoSchedule
 * taint a node that is not Ready carries once the node lifecycle controller (or the kubelet at
 * registration) has caught up. Adding it here keeps a NotReady node out from the first moment.
 */
export function effectiveTaints(node: Node): Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  if (ready !== 'True') {
    const key = ready === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready';
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

/** NodeUnschedulable: spec.unschedulable unless the pod tolerates node.kubernetes.io/unschedulable:NoSchedule. */
export const nodeUnschedulable: Filter = (pod, node) => {
  if (!node.spec?.unschedulable) return undefined;
  const taint: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
  if ((pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, taint))) return undefined;
  return { plugin: 'NodeUnschedulable', code: 'UnschedulableAndUnresolvable', reasons: [FilterReasons.NodeUnschedulable] };
};

/** NodeName: spec.nodeName, when set, must be this node. */
export const nodeName: Filter = (pod, node) => {
  const want = pod.spec?.nodeName;
  if (!want || want === node.metadata?.name) return undefined;
  return { plugin: 'NodeName', code: 'UnschedulableAndUnresolvable', reasons: [FilterReasons.NodeName] };
};

/** TaintToleration: the first NoSchedule/NoExecute taint the pod does not tolerate. */
export const taintToleration: Filter = (pod, node) => {
  const tolerations = pod.spec?.tolerations ?? [];
  for (const taint of effectiveTaints(node)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerations.some((t) => toleratesTaint(t, taint))) continue;
    return { plugin: 'TaintToleration', code: 'UnschedulableAndUnresolvable', reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`] };
  }
  return undefined;
};

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      return req.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default: return false;
  }
}

/** nodeaffinity.NodeSelectorTerm matching: expressions on labels AND fields (metadata.name); an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const e of exprs) if (!requirementMatches(e, labels[e.key])) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name') return false;
    if (!requirementMatches(f, node.metadata?.name)) return false;
  }
  return true;
}

/** NodeAffinity: spec.nodeSelector and required node affinity (terms ORed). */
export const nodeAffinity: Filter = (pod, node) => {
  const labels = node.metadata?.labels ?? {};
  const fail: FilterStatus = { plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: [FilterReasons.NodeAffinity] };
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return fail;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !required.nodeSelectorTerms.some((t) => termMatches(t, node))) return fail;
  return undefined;
};

interface HostPort { ip: string; protocol: string; port: number }

function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol ?? 'TCP', port: p.hostPort });
    }
  }
  return out;
}

/** NodePorts: a wanted hostPort/protocol already used on an overlapping IP (0.0.0.0 overlaps all). */
export const nodePorts: Filter = (pod, _node, podsOnNode) => {
  const want = hostPorts(pod);
  if (want.length === 0) return undefined;
  const used = podsOnNode.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').flatMap(hostPorts);
  const conflict = want.some((w) => used.some((u) => u.port === w.port && u.protocol === w.protocol && (u.ip === w.ip || u.ip === '0.0.0.0' || w.ip === '0.0.0.0')));
  return conflict ? { plugin: 'NodePorts', code: 'Unschedulable', reasons: [FilterReasons.NodePorts] } : undefined;
};

/**
 * NodeResourcesFit: pod count, then each requested resource against allocatable minus what is
 * requested. Always Unschedulable in 1.32 (returning UnschedulableAndUnresolvable when a request
 * exceeds the whole node came with kubernetes/kubernetes#131345, after 1.32).
 */
export const nodeResourcesFit: Filter = (pod, node, podsOnNode) => {
  const alloc = allocatable(node);
  const reasons: string[] = [];
  const active = podsOnNode.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  if (active.length + 1 > (alloc.pods ?? 0)) reasons.push(FilterReasons.TooManyPods);
  const want = podRequests(pod);
  const used = requestedOn(active);
  const order = ['cpu', 'memory', 'ephemeral-storage', ...Object.keys(want).filter((k) => !['cpu', 'memory', 'ephemeral-storage', 'pods'].includes(k)).sort()];
  for (const r of order) {
    const n = want[r] ?? 0;
    if (n <= 0) continue;
    if (n > (alloc[r] ?? 0) - (used[r] ?? 0)) reasons.push(`Insufficient ${r}`);
  }
  return reasons.length ? { plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons } : undefined;
};

/** The filters in the default profile's order; a node's first failing filter is its reason. */
export const DEFAULT_FILTERS: ReadonlyArray<Filter> = [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit];
