// Pure pod-status computations of the kubelet, as upstream 1.32 computes them
// (reference kubelet-images.md §3; k/k pkg/kubelet/kubelet_pods.go getPhase and
// convertToAPIContainerStatuses, pkg/kubelet/status/generate.go, pkg/kubelet/container/helpers.go
// ShouldContainerBeRestarted, pkg/kubelet/kuberuntime doBackOff). The pod workers feed them the
// runtime's container instances; they return API objects.
import { createHash } from 'node:crypto';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodSpec } from 'kubernetes-types/core/v1.js';
import { formatGoDuration } from '../images/go-duration.js';
import { Backoff, type Clock } from '../images/backoff.js';
import type { ContainerStatus as RuntimeContainerStatus } from '../runtime/types.js';

/** Pod phases. */
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** Condition reasons (generate.go). */
export const ConditionReason = {
  UnknownContainerStatuses: 'UnknownContainerStatuses',
  PodCompleted: 'PodCompleted',
  PodFailed: 'PodFailed',
  ContainersNotReady: 'ContainersNotReady',
  ContainersNotInitialized: 'ContainersNotInitialized',
  ReadinessGatesNotReady: 'ReadinessGatesNotReady',
} as const;

/** Is `c` a sidecar (an init container with restartPolicy Always)? */
export function isRestartableInitContainer(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

const statusOf = (statuses: ContainerStatus[] | undefined, name: string): ContainerStatus | undefined => statuses?.find((s) => s.name === name);

/** Go's `%s` of a []string: `[a b]`. */
const goList = (names: string[]): string => `[${names.join(' ')}]`;

/** HasAnyRegularContainerStarted: a regular container ran or runs (it has a running, terminated or last-terminated state). */
export function hasAnyRegularContainerStarted(spec: PodSpec, statuses: ContainerStatus[]): boolean {
  const names = new Set(spec.containers.map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (!!s.state?.running || !!s.state?.terminated || !!s.lastState?.terminated));
}

/**
 * getPhase: the pod phase from its spec and current container statuses (init and regular).
 * `podIsTerminal` is true once every container has been stopped for good (deletion or a
 * terminal restart policy outcome); callers keep a terminal phase once reached.
 */
export function getPhase(spec: PodSpec, initStatuses: ContainerStatus[], statuses: ContainerStatus[], podIsTerminal = false): PodPhase {
  const restartPolicy = spec.restartPolicy ?? 'Always';
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const c of spec.initContainers ?? []) {
    const s = statusOf(initStatuses, c.name);
    if (isRestartableInitContainer(c)) {
      if (!s || !(s.state?.running && s.started)) pendingInitialization++;
      continue;
    }
    if (!s) {
      pendingInitialization++;
    } else if (s.state?.running) {
      pendingInitialization++;
    } else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
      } else {
        pendingInitialization++;
      }
    } else {
      pendingInitialization++;
    }
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.containers) {
    const s = statusOf(statuses, c.name);
    if (!s) {
      unknown++;
    } else if (s.state?.running) {
      running++;
    } else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else {
      unknown++;
    }
  }

  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';
  if (pendingInitialization > 0 && !hasAnyRegularContainerStarted(spec, statuses)) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** GenerateContainersReadyCondition. `statuses` undefined means the runtime gave none. */
export function containersReadyCondition(spec: PodSpec, statuses: ContainerStatus[] | undefined, phase: PodPhase, initStatuses: ContainerStatus[] = []): PodCondition {
  if (!statuses) return { type: 'ContainersReady', status: 'False', reason: ConditionReason.UnknownContainerStatuses };
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of (spec.initContainers ?? []).filter(isRestartableInitContainer)) {
    const s = statusOf(initStatuses, c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  for (const c of spec.containers) {
    const s = statusOf(statuses, c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: ConditionReason.PodCompleted };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: ConditionReason.PodFailed };
  const msgs: string[] = [];
  if (unknown.length) msgs.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length) msgs.push(`containers with unready status: ${goList(unready)}`);
  if (msgs.length) return { type: 'ContainersReady', status: 'False', reason: ConditionReason.ContainersNotReady, message: msgs.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

/** GeneratePodReadyCondition: ContainersReady, then the readiness gates. */
export function podReadyCondition(spec: PodSpec, conditions: PodCondition[], statuses: ContainerStatus[] | undefined, phase: PodPhase, initStatuses: ContainerStatus[] = []): PodCondition {
  const cr = containersReadyCondition(spec, statuses, phase, initStatuses);
  if (cr.status !== 'True') return { type: 'Ready', status: cr.status, reason: cr.reason, message: cr.message };
  const msgs: string[] = [];
  for (const g of spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (!c) msgs.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== 'True') msgs.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  if (msgs.length) return { type: 'Ready', status: 'False', reason: ConditionReason.ReadinessGatesNotReady, message: msgs.join(', ') };
  return { type: 'Ready', status: 'True' };
}

/** GeneratePodInitializedCondition over init and regular statuses together. */
export function initializedCondition(spec: PodSpec, initStatuses: ContainerStatus[] | undefined, statuses: ContainerStatus[], phase: PodPhase): PodCondition {
  const inits = spec.initContainers ?? [];
  if (!initStatuses && inits.length > 0) return { type: 'Initialized', status: 'False', reason: ConditionReason.UnknownContainerStatuses };
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = statusOf(initStatuses, c.name);
    if (!s) {
      unknown.push(c.name);
    } else if (isRestartableInitContainer(c)) {
      if (!s.started) incomplete.push(c.name);
    } else if (!s.ready) {
      incomplete.push(c.name);
    }
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: ConditionReason.PodCompleted };
  if (hasAnyRegularContainerStarted(spec, statuses)) return { type: 'Initialized', status: 'True' };
  const msgs: string[] = [];
  if (unknown.length) msgs.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length) msgs.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (msgs.length) return { type: 'Initialized', status: 'False', reason: ConditionReason.ContainersNotInitialized, message: msgs.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

/**
 * The kubelet's conditions in its order: PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled (kept from the scheduler). Transition times are the status
 * manager's to set.
 */
export function podConditions(pod: Pick<Pod, 'spec' | 'status'>, sandboxReady: boolean, initStatuses: ContainerStatus[], statuses: ContainerStatus[], phase: PodPhase): PodCondition[] {
  const spec = pod.spec!;
  const existing = pod.status?.conditions ?? [];
  const out: PodCondition[] = [
    { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' },
    initializedCondition(spec, initStatuses, statuses, phase),
    podReadyCondition(spec, existing, statuses, phase, initStatuses),
    containersReadyCondition(spec, statuses, phase, initStatuses),
  ];
  const scheduled = existing.find((c) => c.type === 'PodScheduled');
  out.push(scheduled ?? { type: 'PodScheduled', status: 'True' });
  return out;
}

/**
 * ShouldContainerBeRestarted: `latest` is the newest runtime instance of the container (if any).
 * Sidecars always restart; otherwise the pod's restartPolicy decides for exited containers.
 */
export function shouldContainerBeRestarted(container: Container, pod: Pick<Pod, 'metadata' | 'spec'>, latest: Pick<RuntimeContainerStatus, 'state' | 'exitCode'> | undefined): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!latest) return true;
  if (latest.state === 'CONTAINER_RUNNING') return false;
  if (latest.state === 'CONTAINER_UNKNOWN' || latest.state === 'CONTAINER_CREATED') return true;
  const policy = isRestartableInitContainer(container) ? 'Always' : pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && latest.exitCode === 0) return false;
  return true;
}

/** Crash-loop back-off constants (k/k pkg/kubelet/kubelet.go): 10 s doubling to 300 s, reset after 600 s. */
export const CRASHLOOP_INITIAL_MS = 10_000;
export const CRASHLOOP_MAX_MS = 300_000;
export const CRASHLOOP_RESET_MS = 600_000;

/** The crash-loop back-off table (newCrashLoopBackOff). */
export function newCrashLoopBackOff(now?: Clock): Backoff {
  return new Backoff({ initialMs: CRASHLOOP_INITIAL_MS, maxMs: CRASHLOOP_MAX_MS, now, hasExpired: (e, l) => e - l > CRASHLOOP_RESET_MS });
}

/** format.Pod: `<name>_<namespace>(<uid>)`. */
export function formatPod(pod: Pick<Pod, 'metadata'>): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

/** getStableKey: the back-off key, which changes with the container's spec (a new image resets it). */
export function crashLoopKey(pod: Pick<Pod, 'metadata'>, container: Container): string {
  const hash = createHash('sha256').update(JSON.stringify(container)).digest('hex').slice(0, 8);
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}_${pod.metadata?.uid ?? ''}_${container.name}_${hash}`;
}

/** doBackOff's answer: restart now, or wait with the CrashLoopBackOff reason, message and event. */
export type CrashLoopDecision =
  | { backOff: false }
  | { backOff: true; reason: 'CrashLoopBackOff'; message: string; event: { type: 'Warning'; reason: 'BackOff'; message: string } };

/**
 * doBackOff: `lastExited` is the newest exited instance of the container. Inside the window
 * (measured from its finishedAt) the answer is to wait; otherwise the failure is recorded
 * (`next`) and the container restarts now — so the first crash restarts at once.
 */
export function crashLoopBackOff(backoff: Backoff, pod: Pick<Pod, 'metadata'>, container: Container, lastExited: { finishedAtMs: number } | undefined): CrashLoopDecision {
  if (!lastExited) return { backOff: false };
  const key = crashLoopKey(pod, container);
  if (backoff.isInBackOffSince(key, lastExited.finishedAtMs)) {
    const p = formatPod(pod);
    return {
      backOff: true,
      reason: 'CrashLoopBackOff',
      message: `back-off ${formatGoDuration(backoff.get(key))} restarting failed container=${container.name} pod=${p}`,
      event: { type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${container.name} in pod ${p}` },
    };
  }
  backoff.next(key, lastExited.finishedAtMs);
  return { backOff: false };
}

const nsToIso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A runtime instance as an API state (convertContainerStatus). */
function apiState(cs: RuntimeContainerStatus, containerId: string, old: ContainerStatus | undefined): ContainerState {
  switch (cs.state) {
    case 'CONTAINER_RUNNING':
      return { running: { startedAt: nsToIso(cs.startedAt) } };
    case 'CONTAINER_CREATED':
      return { waiting: {} };
    case 'CONTAINER_EXITED':
      return {
        terminated: {
          exitCode: cs.exitCode, ...(cs.reason ? { reason: cs.reason } : {}), ...(cs.message ? { message: cs.message } : {}),
          startedAt: cs.startedAt > 0n ? nsToIso(cs.startedAt) : undefined, finishedAt: cs.finishedAt > 0n ? nsToIso(cs.finishedAt) : undefined,
          containerID: containerId,
        },
      };
    default:
      if (old?.state?.running) {
        return { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
      }
      return { waiting: { reason: 'ContainerCreating' } };
  }
}

/** What convertToAPIContainerStatuses needs for one list (regular or init containers). */
export interface ContainerStatusInput {
  pod: Pick<Pod, 'metadata' | 'spec'>;
  containers: Container[];
  isInit: boolean;
  /** Runtime instances of the pod's containers, any order (sorted newest first here). */
  instances: RuntimeContainerStatus[];
  /** The statuses last reported, for restartCount and lastState of containers without instances. */
  oldStatuses?: ContainerStatus[];
  /** The last start failure per container name (ImagePullBackOff, CrashLoopBackOff...). */
  reasonCache?: Map<string, { reason: string; message: string }>;
  /** Readiness per container name (probe results); default: ready when running. */
  readiness?: Map<string, boolean>;
  /** Prefix of container IDs; default `containerd://`. */
  runtimeName?: string;
}

/**
 * convertToAPIContainerStatuses: the newest instance gives `state`, the one before it
 * `lastState`, restartCount is the newest instance's attempt; containers that should be
 * restarted and have a recorded start failure show that failure as `waiting`. Regular
 * containers come back sorted by name, init containers in spec order.
 */
export function toApiContainerStatuses(input: ContainerStatusInput): ContainerStatus[] {
  const { pod, containers, isInit } = input;
  const prefix = `${input.runtimeName ?? 'containerd'}://`;
  const hasInit = (pod.spec?.initContainers ?? []).length > 0;
  const defaultWaiting: ContainerState = { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } };
  const old = new Map((input.oldStatuses ?? []).map((s) => [s.name, s]));
  const statuses = new Map<string, ContainerStatus>();
  for (const c of containers) {
    const s: ContainerStatus = { name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, state: defaultWaiting };
    const o = old.get(c.name);
    if (o?.state?.terminated) {
      statuses.set(c.name, structuredClone(o));
      continue;
    }
    if (o) {
      s.restartCount = o.restartCount;
      if (o.lastState) s.lastState = o.lastState;
    }
    statuses.set(c.name, s);
  }
  const newestFirst = [...input.instances].sort((a, b) => (a.createdAt === b.createdAt ? 0 : a.createdAt > b.createdAt ? -1 : 1));
  const seen = new Map<string, number>();
  for (const cs of newestFirst) {
    const name = cs.metadata.name;
    const cur = statuses.get(name);
    if (!cur) continue;
    const n = seen.get(name) ?? 0;
    if (n >= 2) continue;
    const state = apiState(cs, `${prefix}${cs.id}`, old.get(name));
    if (n === 0) {
      statuses.set(name, {
        name, image: cs.image, imageID: cs.imageRef, containerID: `${prefix}${cs.id}`, ready: false,
        restartCount: cs.metadata.attempt, state,
      });
    } else {
      cur.lastState = state;
    }
    seen.set(name, n + 1);
  }
  for (const c of containers) {
    const latest = newestFirst.find((cs) => cs.metadata.name === c.name);
    if (isInit && latest?.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue;
    if (!shouldContainerBeRestarted(c, pod, latest)) continue;
    const failure = input.reasonCache?.get(c.name);
    if (!failure) continue;
    const s = statuses.get(c.name)!;
    if (s.state?.terminated) s.lastState = s.state;
    s.state = { waiting: { reason: failure.reason, message: failure.message } };
  }
  for (const c of containers) {
    const s = statuses.get(c.name)!;
    if (isInit && !isRestartableInitContainer(c)) {
      s.ready = s.state?.terminated?.exitCode === 0;
    } else {
      s.ready = !!s.state?.running && (input.readiness?.get(c.name) ?? true);
      s.started = !!s.state?.running;
    }
  }
  const list = containers.map((c) => statuses.get(c.name)!);
  return isInit ? list : list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
