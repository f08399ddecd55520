// One pod's sync, as upstream's kubelet SyncPod / SyncTerminatingPod run it (k/k
// pkg/kubelet/kubelet.go, pkg/kubelet/kuberuntime/kuberuntime_manager.go and
// kuberuntime_container.go), with the events and waiting reasons users see:
//
//   deletionTimestamp ──▶ terminate: Killing events, StopContainer(grace), sandbox stopped and
//                          removed, volumes torn down, final status, DELETE (grace 0, uid precondition)
//   otherwise: computePodActions ─▶ kill (pod or changed containers) ─▶ container GC ─▶ volumes
//     ─▶ sandbox (FailedCreatePodSandBox) ─▶ pull secrets (FailedToRetrieveImagePullSecret)
//     ─▶ per container: crash-loop back-off (BackOff) ─▶ image (ImageManager events, Error: <reason>)
//        ─▶ config (Error: <msg>) ─▶ Created ─▶ Started
//   ─▶ status assembled from the runtime and handed to the status manager
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { involvedContainer, involvedPod, type EventRecorder } from '../../client/events.js';
import { isStatusCode, RESOURCES, type ApiObject, type Client } from '../../client/index.js';
import type { Logger } from '../../common/log.js';
import type { PullSecret } from '../credentials/keyring.js';
import type { ImageManager, PullPolicy } from '../images/index.js';
import { isRuntimeError, type ContainerConfig, type PodSandboxConfig, type Runtime } from '../runtime/types.js';
import { crashLoopBackOff, newCrashLoopBackOff } from '../status/index.js';
import type { Backoff } from '../../common/backoff.js';
import { computePodActions, containerHash, newestInstance } from './actions.js';
import { buildPodStatus } from './pod-status.js';
import { readPodState } from './runtime-state.js';
import type { StatusManager } from './status-manager.js';
import { Annotations, Labels, type PodConfigBuilder, type RuntimePodState, type VolumeManager } from './types.js';

/** What a PodSyncer needs. */
export interface PodSyncerOptions {
  client: Client;
  runtime: Runtime;
  images: ImageManager;
  recorder: EventRecorder;
  podConfig: PodConfigBuilder;
  volumes: VolumeManager;
  statusManager: StatusManager;
  log: Logger;
  now: () => number;
  /** Kubelet root: pod log directories live under `<rootDir>/logs/pods`. */
  rootDir: string;
  /** The node's address for hostIP ('' while unknown). */
  nodeIP: () => Promise<string>;
}

/** Upstream's default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n);
const errText = (e: unknown): string => (isRuntimeError(e) ? e.details : (e as Error).message);

/** The message of the `Created` event (1.32: `Created container <name>`, reference §3.5). */
export const createdMessage = (name: string): string => `Created container ${name}`;
/** The message of the `Started` event. */
export const startedMessage = (name: string): string => `Started container ${name}`;
/** The default message of the `Killing` event. */
export const killingMessage = (name: string): string => `Stopping container ${name}`;

/** Syncs pods against the runtime. One per node agent; a pod is never synced twice at once (the workers see to that). */
export class PodSyncer {
  /** Crash-loop back-off table (10 s doubling to 5 min, reset after 10 min). */
  readonly crashBackoff: Backoff;
  /** Last start failure per pod UID and container name. */
  private readonly reasonCache = new Map<string, Map<string, { reason: string; message: string }>>();

  /** No work until sync(). */
  constructor(private readonly o: PodSyncerOptions) {
    this.crashBackoff = newCrashLoopBackOff(o.now);
  }

  private reasons(uid: string): Map<string, { reason: string; message: string }> {
    let m = this.reasonCache.get(uid);
    if (!m) this.reasonCache.set(uid, (m = new Map()));
    return m;
  }

  private containerEvent(pod: Pod, name: string, isInit: boolean, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.o.recorder.event(involvedContainer(pod as ApiObject, name, isInit), type, reason, message);
  }

  private podEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.o.recorder.event(involvedPod(pod as ApiObject), type, reason, message);
  }

  /**
   * Brings the runtime in line with the pod and reports its status. Resolves with 'deleted' once
   * a terminating pod has been removed from the API, else 'synced'.
   */
  async sync(pod: Pod, signal?: AbortSignal): Promise<'synced' | 'deleted'> {
    const uid = pod.metadata!.uid!;
    let state = await readPodState(this.o.runtime, uid, signal);
    if (pod.metadata?.deletionTimestamp) return this.terminate(pod, state, signal);

    const actions = computePodActions(pod, state);
    const spec = pod.spec!;
    const grace = spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    if (actions.killPod) {
      await this.killPod(pod, state, grace, signal);
      if (!actions.createSandbox) {
        await this.reportStatus(pod, await readPodState(this.o.runtime, uid, signal));
        return 'synced';
      }
    }
    for (const k of actions.containersToKill) {
      this.containerEvent(pod, k.name, k.isInit, 'Normal', 'Killing', k.message);
      await this.o.runtime.stopContainer(k.id, grace, { signal });
    }
    await this.removeDeadInstances(state, signal);

    // Every sync of a live pod refreshes its volumes (Secret and ConfigMap updates reach running
    // containers; tokens are renewed), as upstream's volume manager reconciles them.
    let volumes: Map<string, string>;
    try {
      volumes = await this.o.volumes.setUp(pod, signal);
    } catch (e) {
      // One FailedMount event per failed volume (VolumeError.failures), else the error's text.
      const failures = (e as { failures?: { message: string }[] }).failures;
      for (const m of Array.isArray(failures) && failures.length ? failures.map((f) => f.message) : [(e as Error).message]) {
        this.podEvent(pod, 'Warning', 'FailedMount', m);
      }
      await this.reportStatus(pod, state);
      return 'synced';
    }

    if (actions.initContainersToStart.length === 0 && actions.containersToStart.length === 0 && !actions.createSandbox) {
      await this.reportStatus(pod, await readPodState(this.o.runtime, uid, signal));
      return 'synced';
    }

    let sandboxId = actions.sandboxId;
    const sandboxConfig = this.sandboxConfig(pod, actions.attempt);
    if (actions.createSandbox) {
      if (state.sandboxes.length > 0) this.podEvent(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      try {
        sandboxId = await this.o.runtime.runPodSandbox(sandboxConfig, undefined, { signal });
      } catch (e) {
        this.podEvent(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        await this.reportStatus(pod, await readPodState(this.o.runtime, uid, signal));
        return 'synced';
      }
      state = await readPodState(this.o.runtime, uid, signal);
    }
    const podIP = state.sandboxes.find((s) => s.id === sandboxId)?.ip ?? '';

    const pullSecrets = await this.pullSecrets(pod);
    const ctx = { sandboxId, sandboxConfig, podIP, volumes, pullSecrets, state, signal };
    for (const i of actions.initContainersToStart) {
      const c = spec.initContainers![i]!;
      await this.startContainer(pod, c, true, ctx);
    }
    for (const i of actions.containersToStart) await this.startContainer(pod, spec.containers[i]!, false, ctx);

    await this.reportStatus(pod, await readPodState(this.o.runtime, uid, signal));
    return 'synced';
  }

  /** The sandbox config from the builder, with upstream's pod labels always present. */
  private sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const cfg = this.o.podConfig.sandboxConfig(pod, attempt);
    return {
      ...cfg,
      labels: {
        ...cfg.labels,
        [Labels.podName]: pod.metadata!.name!, [Labels.podNamespace]: pod.metadata!.namespace!, [Labels.podUid]: pod.metadata!.uid!,
      },
    };
  }

  /** Fetches the pod's imagePullSecrets; missing ones are skipped with upstream's warning. */
  private async pullSecrets(pod: Pod): Promise<PullSecret[]> {
    const names = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter((n) => n !== '');
    const found: PullSecret[] = [];
    const missing: string[] = [];
    for (const name of names) {
      try {
        found.push(await this.o.client.get<ApiObject>(RESOURCES.secrets, pod.metadata!.namespace!, name) as PullSecret);
      } catch {
        missing.push(name);
      }
    }
    if (missing.length) {
      this.podEvent(pod, 'Warning', 'FailedToRetrieveImagePullSecret',
        `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
    }
    return found;
  }

  /** startContainer with its back-off, image, config, create and start steps. */
  private async startContainer(pod: Pod, c: Container, isInit: boolean, ctx: {
    sandboxId: string; sandboxConfig: PodSandboxConfig; podIP: string; volumes: Map<string, string>;
    pullSecrets: PullSecret[]; state: RuntimePodState; signal?: AbortSignal;
  }): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    const reasons = this.reasons(uid);
    const fail = (reason: string, message: string): false => {
      reasons.set(c.name, { reason, message });
      return false;
    };
    const latest = newestInstance(ctx.state.containers, c.name);
    const lastExited = ctx.state.containers.find((s) => s.metadata.name === c.name && s.state === 'CONTAINER_EXITED');
    const decision = crashLoopBackOff(this.crashBackoff, pod, c, lastExited ? { finishedAtMs: nsToMs(lastExited.finishedAt) } : undefined);
    if (decision.backOff) {
      this.containerEvent(pod, c.name, isInit, decision.event.type, decision.event.reason, decision.event.message);
      return fail(decision.reason, decision.message);
    }

    const image = await this.o.images.ensureImageExists({
      podUid: uid, image: c.image ?? '', pullPolicy: (c.imagePullPolicy ?? 'IfNotPresent') as PullPolicy,
      pullSecrets: ctx.pullSecrets, sandboxConfig: ctx.sandboxConfig, signal: ctx.signal,
    }, (ev) => this.containerEvent(pod, c.name, isInit, ev.type, ev.reason, ev.message));
    if (!image.ok) {
      this.containerEvent(pod, c.name, isInit, 'Warning', 'Failed', `Error: ${image.reason}`);
      return fail(image.reason, image.message);
    }

    const oldStatuses = isInit ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
    const old = oldStatuses?.find((s) => s.name === c.name);
    const restartCount = latest ? latest.metadata.attempt + 1 : old?.containerID ? old.restartCount + 1 : 0;
    // The image's user, for the builder's runAsNonRoot check.
    const runtimeImage = await this.o.runtime.imageStatus(image.imageRef, { signal: ctx.signal }).catch(() => undefined);
    const built = await this.o.podConfig.containerConfig(pod, c, {
      attempt: restartCount, imageRef: image.imageRef, podIP: ctx.podIP, volumes: ctx.volumes, isInit, image: runtimeImage,
    });
    if (!built.ok) {
      this.containerEvent(pod, c.name, isInit, 'Warning', 'Failed', `Error: ${built.message}`);
      return fail(built.reason, built.message);
    }
    const config: ContainerConfig = {
      ...built.config,
      metadata: { name: c.name, attempt: restartCount },
      logPath: built.config.logPath ?? `${c.name}/${restartCount}.log`,
      labels: {
        ...built.config.labels,
        [Labels.podName]: pod.metadata!.name!, [Labels.podNamespace]: pod.metadata!.namespace!, [Labels.podUid]: uid, [Labels.containerName]: c.name,
      },
      annotations: {
        ...built.config.annotations,
        [Annotations.hash]: containerHash(c),
        [Annotations.restartCount]: String(restartCount),
        [Annotations.terminationMessagePath]: c.terminationMessagePath ?? '/dev/termination-log',
        [Annotations.terminationGracePeriod]: String(pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS),
      },
    };
    let id: string;
    try {
      id = await this.o.runtime.createContainer(ctx.sandboxId, config, ctx.sandboxConfig, { signal: ctx.signal });
    } catch (e) {
      this.containerEvent(pod, c.name, isInit, 'Warning', 'Failed', `Error: ${errText(e)}`);
      return fail('CreateContainerError', errText(e));
    }
    this.containerEvent(pod, c.name, isInit, 'Normal', 'Created', createdMessage(c.name));
    try {
      await this.o.runtime.startContainer(id, { signal: ctx.signal });
    } catch (e) {
      this.containerEvent(pod, c.name, isInit, 'Warning', 'Failed', `Error: ${errText(e)}`);
      return fail('RunContainerError', errText(e));
    }
    this.containerEvent(pod, c.name, isInit, 'Normal', 'Started', startedMessage(c.name));
    reasons.delete(c.name);
    return true;
  }

  /** Which spec container (and whether an init one) a runtime instance belongs to. */
  private specOf(pod: Pod, name: string): { isInit: boolean } {
    return { isInit: !!pod.spec?.initContainers?.some((c) => c.name === name) && !pod.spec.containers.some((c) => c.name === name) };
  }

  /** Stops every running container (Killing events, grace period) and every ready sandbox. */
  private async killPod(pod: Pod, state: RuntimePodState, graceSeconds: number, signal?: AbortSignal): Promise<void> {
    const running = state.containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED');
    await Promise.all(running.map(async (c) => {
      if (c.state === 'CONTAINER_RUNNING') this.containerEvent(pod, c.metadata.name, this.specOf(pod, c.metadata.name).isInit, 'Normal', 'Killing', killingMessage(c.metadata.name));
      await this.o.runtime.stopContainer(c.id, graceSeconds, { signal });
    }));
    for (const s of state.sandboxes) if (s.state === 'SANDBOX_READY') await this.o.runtime.stopPodSandbox(s.id, { signal });
  }

  /**
   * Container GC within the pod: per container name keep the newest instance and the one before
   * it (state and lastState, and the log `kubectl logs --previous` reads); remove older exited
   * ones with their log files, as upstream keeps one dead instance per container.
   */
  private async removeDeadInstances(state: RuntimePodState, signal?: AbortSignal): Promise<void> {
    const seen = new Map<string, number>();
    for (const c of state.containers) {
      const n = (seen.get(c.metadata.name) ?? 0) + 1;
      seen.set(c.metadata.name, n);
      if (n <= 2 || c.state !== 'CONTAINER_EXITED') continue;
      await this.o.runtime.removeContainer(c.id, { signal });
      if (c.logPath) await rm(c.logPath, { force: true });
    }
  }

  /** Graceful deletion, then the pod object removed with grace 0 and a uid precondition. */
  private async terminate(pod: Pod, state: RuntimePodState, signal?: AbortSignal): Promise<'deleted'> {
    const uid = pod.metadata!.uid!;
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    await this.killPod(pod, state, grace, signal);
    const stopped = await readPodState(this.o.runtime, uid, signal);
    await this.reportStatus(pod, stopped, true);
    await removeAll(this.o.runtime, stopped, signal);
    await removePodLogs(this.o.rootDir, pod.metadata!.namespace!, pod.metadata!.name!, uid);
    await this.o.volumes.tearDown(uid);
    try {
      await this.o.client.delete(RESOURCES.pods, pod.metadata!.namespace!, pod.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (e) {
      if (!isStatusCode(e, 404) && !isStatusCode(e, 409)) throw e;
    }
    this.forget(uid);
    return 'deleted';
  }

  /** Assembles and sends the pod's status. */
  private async reportStatus(pod: Pod, state: RuntimePodState, terminal = false): Promise<PodStatus> {
    const status = buildPodStatus({ pod, state, reasonCache: this.reasonCache.get(pod.metadata!.uid!), nodeIP: await this.o.nodeIP(), now: this.o.now(), terminal });
    await this.o.statusManager.setStatus(pod, status);
    return status;
  }

  /** Drops per-pod state (reason cache, sent status). */
  forget(uid: string): void {
    this.reasonCache.delete(uid);
    this.o.statusManager.forget(uid);
  }
}

/** Stops and removes every container and sandbox of a pod (deletion and orphan cleanup). */
export async function removeAll(runtime: Runtime, state: RuntimePodState, signal?: AbortSignal): Promise<void> {
  for (const c of state.containers) await runtime.removeContainer(c.id, { signal });
  for (const s of state.sandboxes) {
    await runtime.stopPodSandbox(s.id, { signal });
    await runtime.removePodSandbox(s.id, { signal });
  }
}

/**
 * Removes a deleted pod's log directory, `<rootDir>/logs/pods/<namespace>_<name>_<uid>` (upstream's
 * container GC removes the log directories of pods that are gone).
 */
export async function removePodLogs(rootDir: string, namespace: string, name: string, uid: string): Promise<void> {
  if (!namespace || !name || !uid) return;
  await rm(join(rootDir, 'logs', 'pods', `${namespace}_${name}_${uid}`), { recursive: true, force: true });
}

/** Kills what the runtime holds for a pod that no longer exists in the API (orphan cleanup). */
export async function killOrphan(runtime: Runtime, volumes: VolumeManager, rootDir: string, uid: string, signal?: AbortSignal): Promise<void> {
  const state = await readPodState(runtime, uid, signal);
  const labels = state.sandboxes[0]?.labels ?? state.containers[0]?.labels ?? {};
  await Promise.all(state.containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => {
    const grace = Number(c.annotations[Annotations.terminationGracePeriod] ?? DEFAULT_GRACE_SECONDS);
    return runtime.stopContainer(c.id, Number.isFinite(grace) ? grace : DEFAULT_GRACE_SECONDS, { signal });
  }));
  await removeAll(runtime, state, signal);
  await removePodLogs(rootDir, labels[Labels.podNamespace] ?? '', labels[Labels.podName] ?? '', uid);
  await volumes.tearDown(uid);
}
