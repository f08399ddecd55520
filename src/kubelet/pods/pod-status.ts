// Assembles a pod's API status from what the runtime holds (generateAPIPodStatus in k/k
// pkg/kubelet/kubelet_pods.go): container statuses with restartCount, lastState and waiting
// reasons, phase (terminal phases never revert), conditions in the kubelet's order, pod and host
// IPs, startTime and qosClass. Pure: the pod workers call it after every sync.
import type { ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { getPhase, podConditions, toApiContainerStatuses } from '../status/index.js';
import type { RuntimePodState } from './types.js';

/** Inputs of {@link buildPodStatus}. */
export interface PodStatusInput {
  pod: Pod;
  state: RuntimePodState;
  /** The last start failure per container name (CrashLoopBackOff, ErrImagePull...). */
  reasonCache?: Map<string, { reason: string; message: string }>;
  /** The node's address (hostIP), '' when not known yet. */
  nodeIP: string;
  /** Now, for startTime on the first sync. */
  now: number;
  /** True once the pod has stopped for good (deletion): phase becomes Succeeded or Failed. */
  terminal?: boolean;
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Never lets a container's restartCount go below what was reported before. */
function keepRestartCounts(statuses: ContainerStatus[], old: ContainerStatus[] | undefined): ContainerStatus[] {
  for (const s of statuses) {
    const o = old?.find((x) => x.name === s.name);
    if (o && o.restartCount > s.restartCount) s.restartCount = o.restartCount;
  }
  return statuses;
}

/** The status the kubelet reports for `pod` (conditions without transition times; the status manager adds them). */
export function buildPodStatus(input: PodStatusInput): PodStatus {
  const { pod, state } = input;
  const spec = pod.spec!;
  const old = pod.status ?? {};
  const sandbox = state.sandboxes[0];
  const sandboxReady = sandbox?.state === 'SANDBOX_READY';
  const common = { pod, instances: state.containers, reasonCache: input.reasonCache };
  const statuses = keepRestartCounts(toApiContainerStatuses({ ...common, containers: spec.containers, isInit: false, oldStatuses: old.containerStatuses }), old.containerStatuses);
  const inits = spec.initContainers ?? [];
  const initStatuses = inits.length
    ? keepRestartCounts(toApiContainerStatuses({ ...common, containers: inits, isInit: true, oldStatuses: old.initContainerStatuses }), old.initContainerStatuses)
    : [];

  let phase = getPhase(spec, initStatuses, statuses, input.terminal);
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;
  const conditions = podConditions(pod, sandboxReady, initStatuses, statuses, phase);

  const status: PodStatus = { phase, conditions };
  if (input.nodeIP) {
    status.hostIP = input.nodeIP;
    status.hostIPs = [{ ip: input.nodeIP }];
  } else if (old.hostIP) {
    status.hostIP = old.hostIP;
    status.hostIPs = old.hostIPs;
  }
  const ips = sandbox?.ip ? [sandbox.ip, ...sandbox.additionalIps] : [];
  if (spec.hostNetwork && input.nodeIP) ips.splice(0, ips.length, input.nodeIP);
  if (ips.length) {
    status.podIP = ips[0];
    status.podIPs = ips.map((ip) => ({ ip }));
  } else if (old.podIP) {
    status.podIP = old.podIP;
    status.podIPs = old.podIPs;
  }
  status.startTime = old.startTime ?? isoSeconds(input.now);
  if (old.qosClass) status.qosClass = old.qosClass;
  if (inits.length) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  return status;
}
