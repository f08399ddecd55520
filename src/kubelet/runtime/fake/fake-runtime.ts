// FakeRuntime: an in-memory Runtime for unit and integration tests of the image manager and pod
// workers. It keeps images, sandboxes and containers as containerd would report them, records
// every call, and lets a test script failures (per method or per pulled image) and container exits.
import { createHash } from 'node:crypto';
import {
  RuntimeError,
  type AuthConfig, type CallOptions, type Container, type ContainerConfig, type ContainerFilter, type ContainerStatus,
  type Image, type PodSandbox, type PodSandboxConfig, type PodSandboxFilter, type PodSandboxStatus, type Runtime,
  type RuntimeCondition, type RuntimeVersion,
} from '../types.js';

/** One recorded call: the method name and its arguments (pull credentials included, for asserts). */
export interface FakeCall {
  method: keyof Runtime;
  args: unknown[];
}

/** Decides the outcome of one pull: return an error to fail it, or nothing to succeed. */
export type PullHook = (image: string, auth: AuthConfig | undefined) => RuntimeError | undefined | Promise<RuntimeError | undefined>;

interface FakeContainer { status: ContainerStatus; podSandboxId: string }

const hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A Runtime that lives in memory. Construct with `new FakeRuntime({ now })`. */
export class FakeRuntime implements Runtime {
  /** Every call in order. */
  readonly calls: FakeCall[] = [];
  /** Images by ID. */
  readonly images = new Map<string, Image>();
  /** Outcome of pulls; default: every pull succeeds. */
  pullHook: PullHook | undefined;
  /** Errors to throw once from the named method, first in first out. */
  readonly failNext = new Map<keyof Runtime, RuntimeError[]>();
  /** Size given to images created by a pull. */
  pulledImageSize = 1024;
  private readonly sandboxes = new Map<string, PodSandboxStatus & { config: PodSandboxConfig }>();
  private readonly containers = new Map<string, FakeContainer>();
  private seq = 0;
  private readonly now: () => number;

  /** `now` (milliseconds since the epoch) stamps created/started/finished times. */
  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
  }

  private ns(): bigint {
    return BigInt(Math.round(this.now())) * 1_000_000n;
  }

  private record(method: keyof Runtime, args: unknown[], opts?: CallOptions): void {
    this.calls.push({ method, args });
    if (opts?.signal?.aborted) throw new RuntimeError('Canceled', 'context canceled');
    const queued = this.failNext.get(method);
    const err = queued?.shift();
    if (err) throw err;
  }

  /** Adds an image as if it had been pulled or imported; returns its ID. */
  addImage(ref: string, size = this.pulledImageSize): string {
    const id = `sha256:${hex(ref)}`;
    const existing = this.images.get(id);
    if (existing) return id;
    const tag = ref.includes('@') ? undefined : ref;
    const repository = ref.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
    this.images.set(id, {
      id, repoTags: tag ? [tag] : [], repoDigests: [`${repository}@sha256:${hex(`${ref}/manifest`)}`], size, pinned: false,
    });
    return id;
  }

  /** Calls of one method. */
  callsOf(method: keyof Runtime): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Makes a running container exit as its process would, with containerd's reason words. */
  exitContainer(id: string, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): void {
    const c = this.mustContainer(id);
    c.status = { ...c.status, state: 'CONTAINER_EXITED', exitCode, reason, finishedAt: this.ns() };
  }

  private findImage(ref: string): Image | undefined {
    if (this.images.has(ref)) return this.images.get(ref);
    for (const img of this.images.values()) {
      if (img.repoTags.includes(ref) || img.repoDigests.includes(ref)) return img;
    }
    return undefined;
  }

  private mustContainer(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `an error occurred when try to find container "${id}": not found`);
    return c;
  }

  /** {@inheritDoc Runtime.version} */
  async version(opts?: CallOptions): Promise<RuntimeVersion> {
    this.record('version', [], opts);
    return { runtimeApiVersion: 'v1', runtimeName: 'fake', runtimeVersion: '0.0.0' };
  }

  /** {@inheritDoc Runtime.status} */
  async status(opts?: CallOptions): Promise<RuntimeCondition[]> {
    this.record('status', [], opts);
    return [
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      { type: 'NetworkReady', status: true, reason: '', message: '' },
    ];
  }

  /** {@inheritDoc Runtime.imageStatus} */
  async imageStatus(image: string, opts?: CallOptions): Promise<Image | undefined> {
    this.record('imageStatus', [image], opts);
    const img = this.findImage(image);
    return img && { ...img };
  }

  /** {@inheritDoc Runtime.listImages} */
  async listImages(opts?: CallOptions): Promise<Image[]> {
    this.record('listImages', [], opts);
    return [...this.images.values()].map((i) => ({ ...i }));
  }

  /** {@inheritDoc Runtime.pullImage} */
  async pullImage(image: string, auth?: AuthConfig, sandbox?: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    this.record('pullImage', [image, auth, sandbox], opts);
    const err = await this.pullHook?.(image, auth);
    if (err) throw err;
    return this.addImage(image);
  }

  /** {@inheritDoc Runtime.removeImage} */
  async removeImage(image: string, opts?: CallOptions): Promise<void> {
    this.record('removeImage', [image], opts);
    const img = this.findImage(image);
    if (img) this.images.delete(img.id);
  }

  /** {@inheritDoc Runtime.runPodSandbox} */
  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    this.record('runPodSandbox', [config, runtimeHandler], opts);
    const id = hex(`sandbox/${++this.seq}`);
    const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
    this.sandboxes.set(id, {
      id, metadata: { ...config.metadata }, state: 'SANDBOX_READY', createdAt: this.ns(),
      labels: { ...config.labels }, annotations: { ...config.annotations },
      ip: hostNetwork ? '' : `10.88.0.${(this.seq % 250) + 2}`, additionalIps: [], config,
    });
    return id;
  }

  /** {@inheritDoc Runtime.stopPodSandbox} */
  async stopPodSandbox(id: string, opts?: CallOptions): Promise<void> {
    this.record('stopPodSandbox', [id], opts);
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    sb.state = 'SANDBOX_NOTREADY';
    for (const [cid, c] of this.containers) {
      if (c.podSandboxId === id && c.status.state === 'CONTAINER_RUNNING') this.exitContainer(cid, 137, 'Error');
    }
  }

  /** {@inheritDoc Runtime.removePodSandbox} */
  async removePodSandbox(id: string, opts?: CallOptions): Promise<void> {
    this.record('removePodSandbox', [id], opts);
    for (const [cid, c] of this.containers) if (c.podSandboxId === id) this.containers.delete(cid);
    this.sandboxes.delete(id);
  }

  /** {@inheritDoc Runtime.podSandboxStatus} */
  async podSandboxStatus(id: string, opts?: CallOptions): Promise<PodSandboxStatus> {
    this.record('podSandboxStatus', [id], opts);
    const sb = this.sandboxes.get(id);
    if (!sb) throw new RuntimeError('NotFound', `an error occurred when try to find sandbox "${id}": not found`);
    const { config: _config, ...status } = sb;
    return { ...status, labels: { ...status.labels }, annotations: { ...status.annotations } };
  }

  /** {@inheritDoc Runtime.listPodSandbox} */
  async listPodSandbox(filter: PodSandboxFilter = {}, opts?: CallOptions): Promise<PodSandbox[]> {
    this.record('listPodSandbox', [filter], opts);
    return [...this.sandboxes.values()]
      .filter((s) => (!filter.id || s.id === filter.id) && (!filter.state || s.state === filter.state) && labelsMatch(s.labels, filter.labelSelector))
      .map((s) => ({ id: s.id, metadata: { ...s.metadata }, state: s.state, createdAt: s.createdAt, labels: { ...s.labels }, annotations: { ...s.annotations } }));
  }

  /** {@inheritDoc Runtime.createContainer} */
  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    this.record('createContainer', [podSandboxId, config, sandboxConfig], opts);
    const sb = this.sandboxes.get(podSandboxId);
    if (!sb) throw new RuntimeError('NotFound', `failed to get sandbox "${podSandboxId}": not found`);
    const img = this.findImage(config.image);
    if (!img) throw new RuntimeError('NotFound', `failed to get image "${config.image}": not found`);
    const id = hex(`container/${++this.seq}`);
    this.containers.set(id, {
      podSandboxId,
      status: {
        id, metadata: { ...config.metadata }, state: 'CONTAINER_CREATED', createdAt: this.ns(), startedAt: 0n, finishedAt: 0n,
        exitCode: 0, image: config.image, imageRef: img.repoDigests[0] ?? img.id, reason: '', message: '',
        labels: { ...config.labels }, annotations: { ...config.annotations },
        logPath: config.logPath ? `${sb.config.logDirectory ?? ''}/${config.logPath}` : '',
      },
    });
    return id;
  }

  /** {@inheritDoc Runtime.startContainer} */
  async startContainer(id: string, opts?: CallOptions): Promise<void> {
    this.record('startContainer', [id], opts);
    const c = this.mustContainer(id);
    if (c.status.state !== 'CONTAINER_CREATED') {
      throw new RuntimeError('FailedPrecondition', `container "${id}" is in ${c.status.state} state`);
    }
    c.status = { ...c.status, state: 'CONTAINER_RUNNING', startedAt: this.ns() };
  }

  /** {@inheritDoc Runtime.stopContainer} */
  async stopContainer(id: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    this.record('stopContainer', [id, timeoutSeconds], opts);
    const c = this.containers.get(id);
    if (c?.status.state === 'CONTAINER_RUNNING') this.exitContainer(id, 137, 'Error');
  }

  /** {@inheritDoc Runtime.removeContainer} */
  async removeContainer(id: string, opts?: CallOptions): Promise<void> {
    this.record('removeContainer', [id], opts);
    this.containers.delete(id);
  }

  /** {@inheritDoc Runtime.containerStatus} */
  async containerStatus(id: string, opts?: CallOptions): Promise<ContainerStatus> {
    this.record('containerStatus', [id], opts);
    const s = this.mustContainer(id).status;
    return { ...s, labels: { ...s.labels }, annotations: { ...s.annotations } };
  }

  /** {@inheritDoc Runtime.listContainers} */
  async listContainers(filter: ContainerFilter = {}, opts?: CallOptions): Promise<Container[]> {
    this.record('listContainers', [filter], opts);
    return [...this.containers.values()]
      .filter((c) => (!filter.id || c.status.id === filter.id) && (!filter.podSandboxId || c.podSandboxId === filter.podSandboxId)
        && (!filter.state || c.status.state === filter.state) && labelsMatch(c.status.labels, filter.labelSelector))
      .map(({ status: s, podSandboxId }) => ({
        id: s.id, podSandboxId, metadata: { ...s.metadata }, image: s.image, imageRef: s.imageRef, state: s.state,
        createdAt: s.createdAt, labels: { ...s.labels }, annotations: { ...s.annotations },
      }));
  }
}

function labelsMatch(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
