// Container cgroup settings from Kubernetes resources, as upstream's kubelet computes them on
// cgroupfs (k/k pkg/kubelet/kuberuntime/kuberuntime_container_linux.go calculateLinuxResources,
// pkg/kubelet/cm/helpers_linux.go MilliCPUToShares / MilliCPUToQuota, pkg/kubelet/qos/policy.go
// GetContainerOOMScoreAdjust), except that oom_score_adj is never negative here: these hosts lack
// CAP_SYS_RESOURCE and containerd runs with restrict_oom_score_adj (containerd-on-these-hosts.md).
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity } from '../../api/quantity.js';
import type { LinuxContainerResources } from '../runtime/index.js';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const SHARES_PER_CPU = 1024;
/** CFS period in microseconds (cm.QuotaPeriod). */
export const QUOTA_PERIOD = 100000;
/** Smallest CFS quota the kernel accepts, in microseconds (cm.MinQuotaPeriod). */
export const MIN_QUOTA_PERIOD = 1000;

/** cpu.shares for a CPU request in millicores (MilliCPUToShares). */
export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu === 0) return MIN_SHARES;
  const shares = Math.trunc((milliCpu * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** CFS quota in microseconds for a CPU limit in millicores; 0 means no limit (MilliCPUToQuota). */
export function milliCpuToQuota(milliCpu: number, period: number): number {
  if (milliCpu === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD, Math.trunc((milliCpu * period) / 1000));
}

function milli(v: string | number | undefined): number {
  if (v === undefined) return 0;
  const q = parseQuantity(v);
  return q ? Number(milliValue(q)) : 0;
}

function bytes(v: string | number | undefined): number {
  if (v === undefined) return 0;
  const q = parseQuantity(v);
  if (!q) return 0;
  const d = 1_000_000_000n;
  return Number(q.nanos / d + (q.nanos % d > 0n ? 1n : 0n));
}

type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The pod's QoS class (status.qosClass when set, else computed as v1qos.GetPodQOS). */
export function podQosClass(pod: Pod): QosClass {
  const declared = pod.status?.qosClass as QosClass | undefined;
  if (declared) return declared;
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = (c.resources?.requests ?? {}) as Record<string, string>;
    const lim = (c.resources?.limits ?? {}) as Record<string, string>;
    for (const r of ['cpu', 'memory']) {
      const hasReq = req[r] !== undefined && bytes(req[r]) + milli(req[r]) > 0;
      const hasLim = lim[r] !== undefined && bytes(lim[r]) + milli(lim[r]) > 0;
      if (hasReq || hasLim) any = true;
      if (!hasLim) guaranteed = false;
      if (hasReq && hasLim && milli(req[r]) !== milli(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * The container's oom_score_adj (GetContainerOOMScoreAdjust), floored at 0: upstream gives
 * Guaranteed pods -997, which these hosts cannot apply.
 */
export function oomScoreAdj(pod: Pod, container: Container, memoryCapacity: number): number {
  const qos = podQosClass(pod);
  let adj: number;
  if (qos === 'Guaranteed') adj = -997;
  else if (qos === 'BestEffort') adj = 1000;
  else {
    const req = bytes((container.resources?.requests as Record<string, string> | undefined)?.memory);
    adj = 1000 - Math.trunc((1000 * req) / memoryCapacity);
    if (adj < 1000 + -997) adj = 1000 + -997;
    if (adj === 1000) adj = 999;
  }
  return Math.max(0, adj);
}

/**
 * cgroup limits of a container: cpu shares from the CPU request (or the limit when only that is
 * set), quota and period from the CPU limit (quota 0 = unlimited), memory limit in bytes.
 */
export function linuxContainerResources(pod: Pod, container: Container, memoryCapacity: number): LinuxContainerResources {
  const req = (container.resources?.requests ?? {}) as Record<string, string>;
  const lim = (container.resources?.limits ?? {}) as Record<string, string>;
  const cpuReq = milli(req.cpu);
  const cpuLim = milli(lim.cpu);
  const out: LinuxContainerResources = {
    cpuShares: milliCpuToShares(cpuReq === 0 && cpuLim !== 0 ? cpuLim : cpuReq),
    cpuPeriod: QUOTA_PERIOD,
    cpuQuota: milliCpuToQuota(cpuLim, QUOTA_PERIOD),
    oomScoreAdj: oomScoreAdj(pod, container, memoryCapacity),
  };
  const mem = bytes(lim.memory);
  if (mem !== 0) out.memoryLimitInBytes = mem;
  return out;
}
