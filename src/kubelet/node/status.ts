// The Node object as the kubelet writes it, as pure functions over plain values (k/k
// pkg/kubelet/kubelet_node_status.go initialNode, pkg/kubelet/nodestatus/setters.go,
// pkg/kubelet/runtime.go). Strings here are upstream's, word for word.
import type { Image, RuntimeCondition, RuntimeVersion } from '../runtime/index.js';
import { formatBinarySI, type MachineInfo } from './machine.js';

/** A plain Node object (the parts the kubelet touches). */
export type NodeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, any>;
  status?: Record<string, any>;
};

/** One node address (`InternalIP`, `Hostname`, ...). */
export interface NodeAddress {
  type: string;
  address: string;
}

/** One node condition. */
export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** The kubelet's default `--max-pods`. */
export const MAX_PODS = 110;
/** nodeStatusMaxImages: at most this many images are reported. */
export const MAX_IMAGES = 50;
/** MaxNamesPerImageInNodeStatus. */
export const MAX_NAMES_PER_IMAGE = 5;
/** Default hard eviction threshold memory.available<100Mi, subtracted from allocatable memory. */
export const EVICTION_MEMORY_AVAILABLE = 100n * 1024n * 1024n;
/**
 * Default hard eviction threshold nodefs.available<10%, subtracted from allocatable
 * ephemeral-storage. The percentage is a float32 upstream (evictionapi.ThresholdValue.Percentage).
 */
export const EVICTION_NODEFS_AVAILABLE = Math.fround(0.1);
/** Default `--node-status-update-frequency` (10 s). */
export const NODE_STATUS_UPDATE_FREQUENCY_MS = 10_000;
/** Default `nodeStatusReportFrequency` (5 min): an unchanged status is still posted this often. */
export const NODE_STATUS_REPORT_FREQUENCY_MS = 5 * 60_000;
/** maxWaitForContainerRuntime: a runtime not seen healthy for this long is "down". */
export const RUNTIME_SYNC_THRESHOLD_MS = 30_000;
/** Annotation the kubelet sets when the attach/detach controller manages volumes (the default). */
export const CONTROLLER_MANAGED_ATTACH_DETACH = 'volumes.kubernetes.io/controller-managed-attach-detach';

/** Time as metav1.Time serializes it (seconds precision, UTC). */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The labels the kubelet owns (initialNode; updateDefaultLabels keeps them current on restart). */
export function defaultNodeLabels(hostname: string, os: string, arch: string): Record<string, string> {
  return {
    'kubernetes.io/hostname': hostname,
    'kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'beta.kubernetes.io/arch': arch,
  };
}

/** `RuntimeReady=true reason: message:` as kubecontainer.RuntimeCondition.String() prints it; `<nil>` when absent. */
export function runtimeConditionString(c: RuntimeCondition | undefined): string {
  if (!c) return '<nil>';
  return `${c.type}=${c.status} reason:${c.reason} message:${c.message}`;
}

/**
 * The kubelet's runtimeState (pkg/kubelet/runtime.go): what the last CRI Status said and when the
 * runtime was last seen healthy. Mutated by observe(); read by errors().
 */
export class RuntimeState {
  private lastSync: number | undefined;
  private runtimeError: string | undefined;
  private networkError: string | undefined = 'network state unknown';

  /** Applies one successful CRI Status answer at `nowMs` (updateRuntimeUp). */
  observe(conditions: RuntimeCondition[], nowMs: number): void {
    const network = conditions.find((c) => c.type === 'NetworkReady');
    this.networkError = network?.status ? undefined : `container runtime network not ready: ${runtimeConditionString(network)}`;
    const runtime = conditions.find((c) => c.type === 'RuntimeReady');
    if (!runtime?.status) {
      this.runtimeError = `container runtime not ready: ${runtimeConditionString(runtime)}`;
      return;
    }
    this.runtimeError = undefined;
    this.lastSync = nowMs;
  }

  /** runtimeErrors() then networkErrors(), each message once, in upstream's order. */
  errors(nowMs: number, thresholdMs = RUNTIME_SYNC_THRESHOLD_MS): string[] {
    const errs: string[] = [];
    if (this.lastSync === undefined) errs.push('container runtime status check may not have completed yet');
    else if (!(this.lastSync + thresholdMs > nowMs)) errs.push('container runtime is down');
    if (this.runtimeError) errs.push(this.runtimeError);
    if (this.networkError) errs.push(this.networkError);
    return errs;
  }
}

/** utilerrors.NewAggregate(errs).Error(): unique messages, one alone, several as `[a, b]`. */
export function aggregateMessage(errs: string[]): string {
  const unique = [...new Set(errs)];
  if (unique.length === 1) return unique[0];
  return `[${unique.join(', ')}]`;
}

/** What one status computation needs. */
export interface NodeStatusInputs {
  now: Date;
  machine: MachineInfo;
  /** The last CRI Version answer (undefined when the runtime never answered). */
  runtimeVersion?: RuntimeVersion;
  /** Errors that make the node not ready (RuntimeState.errors()). */
  notReadyErrors: string[];
  images: Image[];
  addresses: NodeAddress[];
  kubeletPort: number;
  /** The kubelet version (`v1.32.0+berth`), also reported as kubeProxyVersion (1.32 still does). */
  kubeletVersion: string;
}

/** A node-status event the setters ask to record: reason (`NodeReady`, `NodeHasSufficientMemory`). */
export type NodeStatusEvent = string;

function capacity(m: MachineInfo): Record<string, string> {
  return {
    cpu: String(m.cpus),
    'ephemeral-storage': formatBinarySI(m.ephemeralStorageBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: formatBinarySI(m.memoryBytes),
    pods: String(MAX_PODS),
  };
}

function allocatable(m: MachineInfo): Record<string, string> {
  const clamp = (v: bigint): bigint => (v < 0n ? 0n : v);
  const storageReserve = BigInt(Math.trunc(Number(m.ephemeralStorageBytes) * EVICTION_NODEFS_AVAILABLE));
  return {
    cpu: String(m.cpus),
    'ephemeral-storage': formatBinarySI(clamp(m.ephemeralStorageBytes - storageReserve)),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: formatBinarySI(clamp(m.memoryBytes - EVICTION_MEMORY_AVAILABLE)),
    pods: String(MAX_PODS),
  };
}

/** The Images setter: largest first, at most 50 images, each with up to 5 names (digests, then tags). */
export function nodeImages(images: Image[]): Array<{ names: string[]; sizeBytes: number }> {
  return [...images]
    .sort((a, b) => b.size - a.size)
    .slice(0, MAX_IMAGES)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: i.size }));
}

const PRESSURE = [
  { type: 'MemoryPressure', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', event: 'NodeHasSufficientMemory' },
  { type: 'DiskPressure', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', event: 'NodeHasNoDiskPressure' },
  { type: 'PIDPressure', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', event: 'NodeHasSufficientPID' },
] as const;

/**
 * Runs the kubelet's status setters over `node` in upstream's order (addresses, machine info,
 * version info, daemon endpoints, images, pressure conditions, Ready), mutating node.status as
 * upstream does, and returns the events to record. Conditions keep their lastTransitionTime while
 * their status stays; every run stamps lastHeartbeatTime.
 */
export function setNodeStatus(node: NodeObject, inp: NodeStatusInputs): NodeStatusEvent[] {
  const events: NodeStatusEvent[] = [];
  const now = rfc3339(inp.now);
  const st = (node.status ??= {});
  st.addresses = inp.addresses.map((a) => ({ type: a.type, address: a.address }));
  st.capacity = capacity(inp.machine);
  st.allocatable = allocatable(inp.machine);
  const rv = inp.runtimeVersion;
  st.nodeInfo = {
    machineID: inp.machine.machineID,
    systemUUID: inp.machine.systemUUID,
    bootID: inp.machine.bootID,
    kernelVersion: inp.machine.kernelVersion,
    osImage: inp.machine.osImage,
    containerRuntimeVersion: rv ? `${rv.runtimeName}://${rv.runtimeVersion}` : (st.nodeInfo?.containerRuntimeVersion ?? ''),
    kubeletVersion: inp.kubeletVersion,
    kubeProxyVersion: inp.kubeletVersion,
    operatingSystem: inp.machine.operatingSystem,
    architecture: inp.machine.architecture,
  };
  st.daemonEndpoints = { kubeletEndpoint: { Port: inp.kubeletPort } };
  st.images = nodeImages(inp.images);
  const conditions: NodeCondition[] = (st.conditions ??= []);
  for (const p of PRESSURE) {
    let c = conditions.find((x) => x.type === p.type);
    const fresh = !c;
    c ??= { type: p.type, status: 'Unknown' };
    c.lastHeartbeatTime = now;
    if (c.status !== 'False') {
      c.status = 'False';
      c.reason = p.reason;
      c.message = p.message;
      c.lastTransitionTime = now;
      events.push(p.event);
    }
    if (fresh) conditions.push(c);
  }
  const ready: NodeCondition = inp.notReadyErrors.length
    ? { type: 'Ready', status: 'False', lastHeartbeatTime: now, reason: 'KubeletNotReady', message: aggregateMessage(inp.notReadyErrors) }
    : { type: 'Ready', status: 'True', lastHeartbeatTime: now, reason: 'KubeletReady', message: 'kubelet is posting ready status' };
  const i = conditions.findIndex((x) => x.type === 'Ready');
  if (i >= 0) {
    const old = conditions[i];
    if (old.status === ready.status) {
      ready.lastTransitionTime = old.lastTransitionTime;
    } else {
      ready.lastTransitionTime = now;
      events.push(ready.status === 'True' ? 'NodeReady' : 'NodeNotReady');
    }
    conditions[i] = orderCondition(ready);
  } else {
    ready.lastTransitionTime = now;
    conditions.push(orderCondition(ready));
  }
  return events;
}

/** Field order as the API serializes a NodeCondition (keeps stored objects tidy). */
function orderCondition(c: NodeCondition): NodeCondition {
  return { type: c.type, status: c.status, lastHeartbeatTime: c.lastHeartbeatTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
}

/** Order-insensitive deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/**
 * nodeStatusHasChanged: true when anything but the conditions' lastHeartbeatTime differs
 * (upstream skips the write then, until nodeStatusReportFrequency has passed).
 */
export function nodeStatusHasChanged(original: Record<string, any> | undefined, next: Record<string, any> | undefined): boolean {
  if (!original && !next) return false;
  if (!original || !next) return true;
  const strip = (cs: NodeCondition[] | undefined): unknown[] => (cs ?? []).map(({ lastHeartbeatTime: _h, ...rest }) => rest);
  const oc = strip(original.conditions);
  const nc = strip(next.conditions);
  if (oc.length !== nc.length) return true;
  for (const c of nc as NodeCondition[]) {
    const o = (oc as NodeCondition[]).find((x) => x.type === c.type);
    if (!o || !jsonEqual(o, c)) return true;
  }
  const { conditions: _a, ...orest } = original;
  const { conditions: _b, ...nrest } = next;
  return !jsonEqual(orest, nrest);
}
