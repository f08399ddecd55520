// The Runtime seam: what the kubelet's pod workers and image manager need from a container
// runtime. The shapes follow CRI runtime.v1 (k8s.io/cri-api pkg/apis/runtime/v1/api.proto) in
// camelCase, timestamps as bigint nanoseconds since the epoch; CriRuntime speaks that over gRPC,
// FakeRuntime keeps it in memory for tests.

/** The runtime's identity, as CRI Version answers it. */
export interface RuntimeVersion {
  /** CRI API version the runtime speaks, e.g. `v1`. */
  runtimeApiVersion: string;
  /** e.g. `containerd`. */
  runtimeName: string;
  /** e.g. `1.6.20~ds1`. */
  runtimeVersion: string;
}

/** One runtime condition (`RuntimeReady`, `NetworkReady`) from CRI Status. */
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

/** Registry credentials for one pull, as CRI AuthConfig carries them. Never logged. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `user:password`. */
  auth?: string;
  /**
   * The endpoint the credentials are for. containerd 1.6 parses it as a URL and uses the
   * credentials only for an endpoint whose host equals that URL's host; leave it empty to have
   * them apply to every endpoint of the pulled image (containerd-on-these-hosts.md, Registries).
   */
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

/** An image as the runtime stores it. */
export interface Image {
  /** Image ID, `sha256:<config digest>` with containerd. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Unpacked size in bytes. */
  size: number;
  /** The UID the image runs as when it names a numeric user. */
  uid?: number;
  /** The user name the image runs as when it names one. */
  username?: string;
  pinned: boolean;
}

/** Protocol of a port mapping. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A sandbox port published on the host (CNI portmap). */
export interface PortMapping {
  protocol: Protocol;
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

/** Where a namespace comes from: the pod's own, the container's own, the node's. */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

/** Namespace choices of a sandbox or container. */
export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

/** Identifies a pod's sandbox; (name, namespace, uid, attempt) is unique. */
export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

/** What RunPodSandbox needs to create a pod's sandbox and network. */
export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  /** Must be empty for host-network pods (runc refuses a hostname without a UTS namespace). */
  hostname?: string;
  /** Directory under which container logs are written (`<root>/pods/<ns>_<name>_<uid>`). */
  logDirectory?: string;
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: NamespaceOption;
      runAsUser?: number;
      runAsGroup?: number;
      readonlyRootfs?: boolean;
      supplementalGroups?: number[];
      privileged?: boolean;
    };
    sysctls?: Record<string, string>;
  };
}

/** Sandbox state as the runtime reports it. */
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

/** A sandbox in a listing. */
export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  /** Creation time, nanoseconds since the epoch. */
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A sandbox's full status, with its pod IPs. */
export interface PodSandboxStatus extends PodSandbox {
  /** The pod IP from CNI; empty for host-network pods. */
  ip: string;
  additionalIps: string[];
}

/** A host path mounted into a container. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

/** cgroup limits of a container (cgroupfs, as CRI LinuxContainerResources). */
export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  /** Never negative on these hosts: they lack CAP_SYS_RESOURCE (containerd-on-these-hosts.md). */
  oomScoreAdj?: number;
}

/** What CreateContainer needs. */
export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  /** The image reference or image ID to run. */
  image: string;
  /** Overrides the image's entrypoint (Kubernetes `command`). */
  command?: string[];
  /** Overrides the image's cmd (Kubernetes `args`). */
  args?: string[];
  workingDir?: string;
  envs?: { key: string; value: string }[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Path of the log file relative to the sandbox's logDirectory, e.g. `app/0.log`. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    securityContext?: {
      privileged?: boolean;
      namespaceOptions?: NamespaceOption;
      runAsUser?: number;
      runAsGroup?: number;
      runAsUsername?: string;
      readonlyRootfs?: boolean;
      noNewPrivs?: boolean;
      capabilities?: { add?: string[]; drop?: string[] };
    };
  };
}

/** Container state as CRI reports it. */
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** A container in a listing. */
export interface Container {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  image: string;
  imageRef: string;
  state: ContainerState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A container's full status. Times are nanoseconds since the epoch, 0n when not reached. */
export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  image: string;
  imageRef: string;
  /** `Completed`, `Error`, `OOMKilled`, `StartError` (containerd's words) or empty. */
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Absolute path of the container's log file on the host. */
  logPath: string;
}

/** Filters of ListPodSandbox; fields are ANDed. */
export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  labelSelector?: Record<string, string>;
}

/** Filters of ListContainers; fields are ANDed. */
export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

/** What CRI Exec needs: a command to run in a running container and which streams to attach. */
export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  /** Must be false when `tty` is set (the terminal merges stderr into stdout). */
  stderr: boolean;
}

/** Options every runtime call accepts. */
export interface CallOptions {
  /** Cancels the call (Go's context.Context). */
  signal?: AbortSignal;
}

/**
 * The container runtime as the kubelet sees it: images, pod sandboxes and containers. Every
 * method rejects only with a `RuntimeError`; a missing image is a value (`undefined`), not an
 * error. Called by the image manager (images) and the pod workers (sandboxes, containers).
 */
export interface Runtime {
  /** The runtime's name and versions; also the cheapest liveness probe. */
  version(opts?: CallOptions): Promise<RuntimeVersion>;
  /** `RuntimeReady` and `NetworkReady` conditions, for the node's Ready condition. */
  status(opts?: CallOptions): Promise<RuntimeCondition[]>;

  /** The image if present (by reference or ID), `undefined` if not. */
  imageStatus(image: string, opts?: CallOptions): Promise<Image | undefined>;
  /** Every image the runtime holds. */
  listImages(opts?: CallOptions): Promise<Image[]>;
  /**
   * Pulls an image with optional credentials and returns its image reference (ID). Has no
   * deadline of its own (upstream excludes pulls from runtimeRequestTimeout); cancel with
   * `opts.signal`.
   */
  pullImage(image: string, auth?: AuthConfig, sandbox?: PodSandboxConfig, opts?: CallOptions): Promise<string>;
  /** Removes an image; removing an absent image succeeds. */
  removeImage(image: string, opts?: CallOptions): Promise<void>;

  /** Creates and starts a pod sandbox (pause container and network); returns its ID. */
  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string, opts?: CallOptions): Promise<string>;
  /** Stops the sandbox and every container in it, and releases its network; idempotent. */
  stopPodSandbox(id: string, opts?: CallOptions): Promise<void>;
  /** Removes a stopped sandbox and its containers; idempotent. */
  removePodSandbox(id: string, opts?: CallOptions): Promise<void>;
  /** Full status of one sandbox; rejects with code `NotFound` when absent. */
  podSandboxStatus(id: string, opts?: CallOptions): Promise<PodSandboxStatus>;
  /** Sandboxes matching the filter. */
  listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions): Promise<PodSandbox[]>;

  /** Creates a container in a sandbox; returns its ID. */
  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, opts?: CallOptions): Promise<string>;
  /** Starts a created container. */
  startContainer(id: string, opts?: CallOptions): Promise<void>;
  /** Sends the stop signal, then SIGKILL after `timeoutSeconds` (0: at once); idempotent. */
  stopContainer(id: string, timeoutSeconds: number, opts?: CallOptions): Promise<void>;
  /** Removes a container, killing it first if it runs; idempotent. */
  removeContainer(id: string, opts?: CallOptions): Promise<void>;
  /** Full status of one container; rejects with code `NotFound` when absent. */
  containerStatus(id: string, opts?: CallOptions): Promise<ContainerStatus>;
  /** Containers matching the filter. */
  listContainers(filter?: ContainerFilter, opts?: CallOptions): Promise<Container[]>;

  /**
   * Prepares an exec and returns the URL of the runtime's streaming server that runs it (CRI Exec;
   * single use, valid about a minute). The kubelet server connects to it with the SPDY
   * remotecommand protocol. Optional: runtimes without a streaming server leave it out, and the
   * kubelet server then answers exec requests with an error.
   */
  exec?(req: ExecRequest, opts?: CallOptions): Promise<string>;
  /**
   * Prepares a port forward into a sandbox's network namespace and returns the streaming server URL
   * (CRI PortForward), spoken to with the SPDY `portforward.k8s.io` protocol. Optional, as `exec`.
   */
  portForward?(podSandboxId: string, ports: number[], opts?: CallOptions): Promise<string>;
}

/** String codes of runtime failures (gRPC status codes, translated once in runtime/cri). */
export type RuntimeErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'Unavailable'
  | 'DeadlineExceeded'
  | 'Canceled'
  | 'ResourceExhausted'
  | 'Unimplemented'
  | 'Internal'
  | 'Unknown';

/**
 * The one error class of the runtime layer. `message` is what upstream's kubelet shows users:
 * the gRPC error rendered as Go's status error, `rpc error: code = <Code> desc = <details>`,
 * which is the text of `Failed to pull image "x": ...` events and ErrImagePull messages.
 */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  /** The failure class. */
  readonly code: RuntimeErrorCode;
  /** The runtime's own description (gRPC `desc`), without the `rpc error` prefix. */
  readonly details: string;

  /** Builds an error; `message` defaults to the Go rendering of code and details. */
  constructor(code: RuntimeErrorCode, details: string, message?: string) {
    super(message ?? `rpc error: code = ${code} desc = ${details}`);
    this.code = code;
    this.details = details;
  }
}

/** True when `e` is a RuntimeError, optionally of one code. */
export function isRuntimeError(e: unknown, code?: RuntimeErrorCode): e is RuntimeError {
  return e instanceof RuntimeError && (code === undefined || e.code === code);
}
