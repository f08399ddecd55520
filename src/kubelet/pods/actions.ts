// computePodActions: what one sync of a pod must do, as a pure function of the pod and what the
// runtime holds for it (upstream's kuberuntime_manager.go computePodActions, 1.32 observable
// behaviour): create the sandbox when none is ready (or its IP went missing), start init
// containers one at a time in order, start or restart regular containers as restartPolicy says,
// restart containers whose spec changed, and stop the whole pod once nothing is left to run.
// Crash-loop back-off and image pulls are decided when a start is attempted (sync.ts).
import { createHash } from 'node:crypto';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus as RuntimeContainerStatus } from '../runtime/types.js';
import { isRestartableInitContainer, shouldContainerBeRestarted } from '../status/index.js';
import { Annotations, type RuntimePodState } from './types.js';

/** A running container to stop, with the Killing event message. */
export interface ContainerToKill {
  id: string;
  name: string;
  isInit: boolean;
  message: string;
}

/** The plan for one sync. */
export interface PodActions {
  /** Stop every container and the sandbox (a new sandbox is needed, or the pod is done). */
  killPod: boolean;
  /** Create a new sandbox with `attempt`. */
  createSandbox: boolean;
  /** The ready sandbox to use when not creating one ('' otherwise). */
  sandboxId: string;
  /** Sandbox attempt: of the sandbox in use, or of the one to create. */
  attempt: number;
  /** Indexes into spec.initContainers to start, in order (one regular init container at most). */
  initContainersToStart: number[];
  /** Indexes into spec.containers to start. */
  containersToStart: number[];
  /** Running containers to stop before anything starts. */
  containersToKill: ContainerToKill[];
}

/** JSON with sorted object keys, so the hash does not depend on the field order of the API's answer. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The container's spec hash (annotation `io.kubernetes.container.hash`): a change of any field
 * but resources (which upstream resizes in place) restarts the container.
 */
export function containerHash(c: Container): string {
  const { resources: _resources, ...rest } = c;
  return createHash('sha256').update(stableJson(rest)).digest('hex').slice(0, 8);
}

/** The newest instance of a container name (instances are newest first). */
export function newestInstance(containers: RuntimeContainerStatus[], name: string): RuntimeContainerStatus | undefined {
  return containers.find((c) => c.metadata.name === name);
}

/**
 * podSandboxChanged: a new sandbox is needed when there is none, the newest is not ready, more
 * than one is ready, or a pod-network pod's sandbox has no IP. The attempt of a new sandbox is
 * the newest one's plus one.
 */
export function podSandboxChanged(pod: Pod, state: RuntimePodState): { changed: boolean; attempt: number; sandboxId: string } {
  const newest = state.sandboxes[0];
  if (!newest) return { changed: true, attempt: 0, sandboxId: '' };
  const ready = state.sandboxes.filter((s) => s.state === 'SANDBOX_READY').length;
  const next = { changed: true, attempt: newest.attempt + 1, sandboxId: newest.id };
  if (ready > 1 || newest.state !== 'SANDBOX_READY') return next;
  if (!pod.spec?.hostNetwork && !newest.ip) return next;
  return { changed: false, attempt: newest.attempt, sandboxId: newest.id };
}

/** True when a regular container of the pod was ever created (init containers never rerun then). */
function anyRegularCreated(pod: Pod, state: RuntimePodState): boolean {
  const names = new Set(pod.spec!.containers.map((c) => c.name));
  return state.containers.some((c) => names.has(c.metadata.name));
}

/**
 * Where initialization stands: `done`, or the init containers to (re)start now; `failed` when a
 * regular init container failed and restartPolicy Never forbids running it again.
 */
export function initContainerProgress(pod: Pod, state: RuntimePodState): { done: boolean; failed: boolean; toStart: number[] } {
  const spec = pod.spec!;
  const inits = spec.initContainers ?? [];
  const policy = spec.restartPolicy ?? 'Always';
  const initialized = anyRegularCreated(pod, state);
  const toStart: number[] = [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    const s = newestInstance(state.containers, c.name);
    if (isRestartableInitContainer(c)) {
      if (s?.state === 'CONTAINER_RUNNING') continue;
      toStart.push(i);
      // A sidecar started for the first time must run before the next init container starts.
      if (!initialized && !s) return { done: false, failed: false, toStart };
      continue;
    }
    if (initialized) continue;
    if (!s) return { done: false, failed: false, toStart: [...toStart, i] };
    if (s.state === 'CONTAINER_RUNNING') return { done: false, failed: false, toStart };
    if (s.state === 'CONTAINER_EXITED' && s.exitCode === 0) continue;
    if (s.state === 'CONTAINER_EXITED' && policy === 'Never') return { done: false, failed: true, toStart: [] };
    return { done: false, failed: false, toStart: [...toStart, i] };
  }
  return { done: true, failed: false, toStart };
}

/** The sync plan for a pod that is not being deleted. */
export function computePodActions(pod: Pod, state: RuntimePodState): PodActions {
  const spec = pod.spec!;
  const policy = spec.restartPolicy ?? 'Always';
  const sb = podSandboxChanged(pod, state);
  const actions: PodActions = {
    killPod: sb.changed, createSandbox: sb.changed, sandboxId: sb.changed ? '' : sb.sandboxId, attempt: sb.attempt,
    initContainersToStart: [], containersToStart: [], containersToKill: [],
  };

  if (sb.changed) {
    // A pod that must not restart and already ran gets no new sandbox.
    if (policy === 'Never' && sb.attempt !== 0 && state.containers.length > 0) {
      actions.createSandbox = false;
      return actions;
    }
    const toStart = spec.containers.map((_, i) => i).filter((i) => {
      const s = newestInstance(state.containers, spec.containers[i]!.name);
      return !(s?.state === 'CONTAINER_EXITED' && s.exitCode === 0 && policy === 'OnFailure');
    });
    if (toStart.length === 0 && initContainerProgress(pod, state).done) {
      actions.createSandbox = false;
      return actions;
    }
    if ((spec.initContainers ?? []).length > 0) {
      actions.initContainersToStart = [0];
      return actions;
    }
    actions.containersToStart = toStart;
    return actions;
  }

  const init = initContainerProgress(pod, state);
  if (init.failed) {
    actions.killPod = true;
    return actions;
  }
  actions.initContainersToStart = init.toStart;
  if (!init.done) return actions;

  let keep = 0;
  for (let i = 0; i < spec.containers.length; i++) {
    const c = spec.containers[i]!;
    const s = newestInstance(state.containers, c.name);
    if (s?.state !== 'CONTAINER_RUNNING') {
      if (shouldContainerBeRestarted(c, pod, s)) actions.containersToStart.push(i);
      continue;
    }
    const hash = s.annotations[Annotations.hash];
    if (hash !== undefined && hash !== containerHash(c)) {
      actions.containersToStart.push(i);
      actions.containersToKill.push({ id: s.id, name: c.name, isInit: false, message: `Container ${c.name} definition changed, will be restarted` });
      continue;
    }
    keep++;
  }
  if (keep === 0 && actions.containersToStart.length === 0) {
    actions.killPod = true;
    actions.initContainersToStart = [];
  }
  return actions;
}
