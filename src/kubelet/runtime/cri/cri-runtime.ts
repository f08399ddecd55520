// CriRuntime: the Runtime seam over CRI runtime.v1 gRPC (RuntimeService + ImageService) on a
// unix socket, containerd's in berth. Every call goes through `call`, which applies the request
// timeout, wires AbortSignal to cancellation and translates gRPC errors exactly once.
import * as grpc from '@grpc/grpc-js';
import { silentLogger, type Logger } from '../../../common/log.js';
import { fromGrpcError } from './errors.js';
import { criPackage } from './proto.js';
import {
  RuntimeError,
  type AuthConfig, type CallOptions, type ExecRequest, type Container, type ContainerConfig, type ContainerFilter, type ContainerStatus,
  type Image, type PodSandbox, type PodSandboxConfig, type PodSandboxFilter, type PodSandboxStatus, type Runtime,
  type RuntimeCondition, type RuntimeVersion,
} from '../types.js';

/** The kubelet's default runtimeRequestTimeout (kubelet config v1beta1: 2m); pulls are exempt. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 2 * 60 * 1000;
/** The kubelet's CRI client message cap (k8s.io/cri-client: maxMsgSize 16 MiB). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The CRI API version this client speaks. */
export const CRI_API_VERSION = 'v1';

/** How to reach the runtime. */
export interface CriRuntimeOptions {
  /** Path of the runtime's unix socket (containerd's `[grpc] address`). */
  socketPath: string;
  /** Deadline of each non-pull call; default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  log?: Logger;
}

type Msg = Record<string, any>;
type UnaryMethod = (req: Msg, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Msg) => void) => grpc.ClientUnaryCall;

const big = (v: unknown): bigint => BigInt(typeof v === 'string' || typeof v === 'number' ? v : 0);
const num = (v: unknown): number => Number(v ?? 0);
const strMap = (v: unknown): Record<string, string> => ({ ...((v as Record<string, string> | null) ?? {}) });

function toImage(m: Msg): Image {
  const img: Image = {
    id: m.id ?? '', repoTags: m.repoTags ?? [], repoDigests: m.repoDigests ?? [], size: num(m.size), pinned: !!m.pinned,
  };
  if (m.uid) img.uid = num(m.uid.value);
  if (m.username) img.username = m.username;
  return img;
}

function toSandboxMeta(m: Msg | null | undefined): PodSandbox['metadata'] {
  return { name: m?.name ?? '', uid: m?.uid ?? '', namespace: m?.namespace ?? '', attempt: num(m?.attempt) };
}

function toSandbox(m: Msg): PodSandbox {
  return {
    id: m.id, metadata: toSandboxMeta(m.metadata), state: m.state, createdAt: big(m.createdAt),
    labels: strMap(m.labels), annotations: strMap(m.annotations),
  };
}

function toContainer(m: Msg): Container {
  return {
    id: m.id, podSandboxId: m.podSandboxId, metadata: { name: m.metadata?.name ?? '', attempt: num(m.metadata?.attempt) },
    image: m.image?.image ?? '', imageRef: m.imageRef ?? '', state: m.state, createdAt: big(m.createdAt),
    labels: strMap(m.labels), annotations: strMap(m.annotations),
  };
}

function toContainerStatus(m: Msg): ContainerStatus {
  return {
    id: m.id, metadata: { name: m.metadata?.name ?? '', attempt: num(m.metadata?.attempt) }, state: m.state,
    createdAt: big(m.createdAt), startedAt: big(m.startedAt), finishedAt: big(m.finishedAt), exitCode: num(m.exitCode),
    image: m.image?.image ?? '', imageRef: m.imageRef ?? '', reason: m.reason ?? '', message: m.message ?? '',
    labels: strMap(m.labels), annotations: strMap(m.annotations), logPath: m.logPath ?? '',
  };
}

function sandboxConfigMsg(c: PodSandboxConfig): Msg {
  const sc = c.linux?.securityContext;
  return {
    metadata: c.metadata,
    hostname: c.hostname ?? '',
    logDirectory: c.logDirectory ?? '',
    dnsConfig: c.dnsConfig,
    portMappings: c.portMappings ?? [],
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
    linux: c.linux && {
      cgroupParent: c.linux.cgroupParent ?? '',
      sysctls: c.linux.sysctls ?? {},
      securityContext: sc && {
        namespaceOptions: sc.namespaceOptions,
        runAsUser: sc.runAsUser === undefined ? undefined : { value: sc.runAsUser },
        runAsGroup: sc.runAsGroup === undefined ? undefined : { value: sc.runAsGroup },
        readonlyRootfs: !!sc.readonlyRootfs,
        supplementalGroups: sc.supplementalGroups ?? [],
        privileged: !!sc.privileged,
      },
    },
  };
}

function containerConfigMsg(c: ContainerConfig): Msg {
  const sc = c.linux?.securityContext;
  return {
    metadata: c.metadata,
    image: { image: c.image },
    command: c.command ?? [],
    args: c.args ?? [],
    workingDir: c.workingDir ?? '',
    envs: c.envs ?? [],
    mounts: c.mounts ?? [],
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
    logPath: c.logPath ?? '',
    stdin: !!c.stdin, stdinOnce: !!c.stdinOnce, tty: !!c.tty,
    linux: c.linux && {
      resources: c.linux.resources,
      securityContext: sc && {
        privileged: !!sc.privileged,
        namespaceOptions: sc.namespaceOptions,
        runAsUser: sc.runAsUser === undefined ? undefined : { value: sc.runAsUser },
        runAsGroup: sc.runAsGroup === undefined ? undefined : { value: sc.runAsGroup },
        runAsUsername: sc.runAsUsername ?? '',
        readonlyRootfs: !!sc.readonlyRootfs,
        noNewPrivs: !!sc.noNewPrivs,
        capabilities: sc.capabilities && { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] },
      },
    },
  };
}

/** A Runtime backed by a CRI runtime.v1 server (containerd) on a unix socket. */
export class CriRuntime implements Runtime {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;
  private readonly timeoutMs: number;
  private readonly log: Logger;

  /** Connects lazily: the first call dials the socket. */
  constructor(opts: CriRuntimeOptions) {
    const { RuntimeService, ImageService } = criPackage();
    const target = `unix://${opts.socketPath}`;
    const channelOpts = { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES };
    this.runtime = new RuntimeService(target, grpc.credentials.createInsecure(), channelOpts);
    // Both services share one channel, as upstream's cri-client does with one connection.
    this.images = new ImageService(target, grpc.credentials.createInsecure(), { ...channelOpts, channelOverride: this.runtime.getChannel() });
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.log = (opts.log ?? silentLogger).child({ component: 'cri' });
  }

  /** Closes the gRPC channel; later calls fail with `Unavailable`. */
  close(): void {
    this.images.close();
    this.runtime.close();
  }

  /** One unary call; `timeoutMs` null means no deadline (pulls). */
  private call(client: grpc.Client, method: string, req: Msg, opts: CallOptions | undefined, timeoutMs: number | null = this.timeoutMs): Promise<Msg> {
    const fn = (client as unknown as Record<string, UnaryMethod>)[method];
    if (opts?.signal?.aborted) return Promise.reject(new RuntimeError('Canceled', `${method} canceled before it started`));
    return new Promise((resolve, reject) => {
      const callOpts: grpc.CallOptions = timeoutMs === null ? {} : { deadline: Date.now() + timeoutMs };
      const onAbort = (): void => call.cancel();
      const call = fn.call(client, req, new grpc.Metadata(), callOpts, (err, res) => {
        opts?.signal?.removeEventListener('abort', onAbort);
        if (err) {
          const re = fromGrpcError(err);
          this.log.debug({ method, code: re.code }, 'cri call failed');
          reject(re);
        } else {
          resolve(res ?? {});
        }
      });
      opts?.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** {@inheritDoc Runtime.version} */
  async version(opts?: CallOptions): Promise<RuntimeVersion> {
    const r = await this.call(this.runtime, 'Version', { version: CRI_API_VERSION }, opts);
    return { runtimeApiVersion: r.runtimeApiVersion, runtimeName: r.runtimeName, runtimeVersion: r.runtimeVersion };
  }

  /** {@inheritDoc Runtime.status} */
  async status(opts?: CallOptions): Promise<RuntimeCondition[]> {
    const r = await this.call(this.runtime, 'Status', { verbose: false }, opts);
    return (r.status?.conditions ?? []).map((c: Msg) => ({ type: c.type, status: !!c.status, reason: c.reason ?? '', message: c.message ?? '' }));
  }

  /** {@inheritDoc Runtime.imageStatus} */
  async imageStatus(image: string, opts?: CallOptions): Promise<Image | undefined> {
    const r = await this.call(this.images, 'ImageStatus', { image: { image } }, opts);
    return r.image && r.image.id ? toImage(r.image) : undefined;
  }

  /** {@inheritDoc Runtime.listImages} */
  async listImages(opts?: CallOptions): Promise<Image[]> {
    const r = await this.call(this.images, 'ListImages', {}, opts);
    return (r.images ?? []).map(toImage);
  }

  /** {@inheritDoc Runtime.pullImage} */
  async pullImage(image: string, auth?: AuthConfig, sandbox?: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    const req: Msg = { image: { image } };
    if (auth) req.auth = auth;
    if (sandbox) req.sandboxConfig = sandboxConfigMsg(sandbox);
    const r = await this.call(this.images, 'PullImage', req, opts, null);
    return r.imageRef;
  }

  /** {@inheritDoc Runtime.removeImage} */
  async removeImage(image: string, opts?: CallOptions): Promise<void> {
    await this.call(this.images, 'RemoveImage', { image: { image } }, opts);
  }

  /** {@inheritDoc Runtime.runPodSandbox} */
  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    const r = await this.call(this.runtime, 'RunPodSandbox', { config: sandboxConfigMsg(config), runtimeHandler }, opts);
    return r.podSandboxId;
  }

  /** {@inheritDoc Runtime.stopPodSandbox} */
  async stopPodSandbox(id: string, opts?: CallOptions): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { podSandboxId: id }, opts);
  }

  /** {@inheritDoc Runtime.removePodSandbox} */
  async removePodSandbox(id: string, opts?: CallOptions): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { podSandboxId: id }, opts);
  }

  /** {@inheritDoc Runtime.podSandboxStatus} */
  async podSandboxStatus(id: string, opts?: CallOptions): Promise<PodSandboxStatus> {
    const r = await this.call(this.runtime, 'PodSandboxStatus', { podSandboxId: id, verbose: false }, opts);
    if (!r.status) throw new RuntimeError('NotFound', `an error occurred when try to find sandbox "${id}"`);
    return {
      ...toSandbox(r.status),
      ip: r.status.network?.ip ?? '',
      additionalIps: (r.status.network?.additionalIps ?? []).map((p: Msg) => p.ip),
    };
  }

  /** {@inheritDoc Runtime.listPodSandbox} */
  async listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions): Promise<PodSandbox[]> {
    const f: Msg | undefined = filter && {
      id: filter.id ?? '', labelSelector: filter.labelSelector ?? {}, state: filter.state === undefined ? undefined : { state: filter.state },
    };
    const r = await this.call(this.runtime, 'ListPodSandbox', f ? { filter: f } : {}, opts);
    return (r.items ?? []).map(toSandbox);
  }

  /** {@inheritDoc Runtime.createContainer} */
  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    const r = await this.call(this.runtime, 'CreateContainer', {
      podSandboxId, config: containerConfigMsg(config), sandboxConfig: sandboxConfigMsg(sandboxConfig),
    }, opts);
    return r.containerId;
  }

  /** {@inheritDoc Runtime.startContainer} */
  async startContainer(id: string, opts?: CallOptions): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { containerId: id }, opts);
  }

  /** {@inheritDoc Runtime.stopContainer} */
  async stopContainer(id: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    // The grace period is the runtime's to enforce, so the deadline outlasts it (upstream's
    // cri-client adds the timeout to the request deadline the same way).
    await this.call(this.runtime, 'StopContainer', { containerId: id, timeout: timeoutSeconds }, opts, this.timeoutMs + timeoutSeconds * 1000);
  }

  /** {@inheritDoc Runtime.removeContainer} */
  async removeContainer(id: string, opts?: CallOptions): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { containerId: id }, opts);
  }

  /** {@inheritDoc Runtime.containerStatus} */
  async containerStatus(id: string, opts?: CallOptions): Promise<ContainerStatus> {
    const r = await this.call(this.runtime, 'ContainerStatus', { containerId: id, verbose: false }, opts);
    if (!r.status) throw new RuntimeError('NotFound', `an error occurred when try to find container "${id}"`);
    return toContainerStatus(r.status);
  }

  /** {@inheritDoc Runtime.listContainers} */
  async listContainers(filter?: ContainerFilter, opts?: CallOptions): Promise<Container[]> {
    const f: Msg | undefined = filter && {
      id: filter.id ?? '', podSandboxId: filter.podSandboxId ?? '', labelSelector: filter.labelSelector ?? {},
      state: filter.state === undefined ? undefined : { state: filter.state },
    };
    const r = await this.call(this.runtime, 'ListContainers', f ? { filter: f } : {}, opts);
    return (r.containers ?? []).map(toContainer);
  }

  /** {@inheritDoc Runtime.exec} */
  async exec(req: ExecRequest, opts?: CallOptions): Promise<string> {
    const r = await this.call(this.runtime, 'Exec', {
      containerId: req.containerId, cmd: req.cmd, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr && !req.tty,
    }, opts);
    return r.url;
  }

  /** {@inheritDoc Runtime.portForward} */
  async portForward(podSandboxId: string, ports: number[], opts?: CallOptions): Promise<string> {
    const r = await this.call(this.runtime, 'PortForward', { podSandboxId, port: ports }, opts);
    return r.url;
  }
}
