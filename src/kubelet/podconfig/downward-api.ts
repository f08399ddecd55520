// The downward API: pod fields and container resources as strings, shared by env vars
// (`valueFrom.fieldRef` / `resourceFieldRef`) and downwardAPI / projected volumes.
// Sources: k/k pkg/fieldpath/fieldpath.go (ExtractFieldPathAsString, FormatMap,
// SplitMaybeSubscriptedPath), pkg/apis/core/pods/helpers.go (ConvertDownwardAPIFieldLabel),
// pkg/api/v1/resource/helpers.go (ExtractContainerResourceValue, the ceil conversions).
import type { Container, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity, type Quantity } from '../../api/quantity.js';

/** The node's allocatable resources, the default for limits a container leaves unset. */
export interface NodeAllocatable {
  /** CPU in millicores. */
  cpuMilli: bigint;
  /** Memory in bytes. */
  memoryBytes: bigint;
  /** Ephemeral storage in bytes. */
  ephemeralStorageBytes: bigint;
}

/** Splits `metadata.labels['key']` into path and subscript (SplitMaybeSubscriptedPath). */
export function splitSubscriptedPath(fieldPath: string): { path: string; subscript: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const i = s.indexOf("['");
  if (i <= 0) return undefined;
  return { path: s.slice(0, i), subscript: s.slice(i + 2) };
}

/** Go's `%q` of a string (strconv.Quote), as FormatMap prints label and annotation values. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\x07': out += '\\a'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\v': out += '\\v'; break;
      default:
        if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
        else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
        else out += ch;
    }
  }
  return out + '"';
}

/** `key="value"` lines in key order, as fieldpath.FormatMap renders labels and annotations. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${goQuote((m as Record<string, string>)[k])}`).join('\n');
}

/** A downward API failure; its message is upstream's error text. */
export class DownwardApiError extends Error {
  override readonly name = 'DownwardApiError';
}

/**
 * The metadata fields every downward API consumer supports (ExtractFieldPathAsString):
 * name, namespace, uid, labels and annotations (whole or one key).
 */
export function extractFieldPathAsString(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    if (sub.path === 'metadata.annotations') return meta.annotations?.[sub.subscript] ?? '';
    if (sub.path === 'metadata.labels') return meta.labels?.[sub.subscript] ?? '';
    throw new DownwardApiError(`fieldPath "${fieldPath}" does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations': return formatMap(meta.annotations);
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
  }
  throw new DownwardApiError(`unsupported fieldPath: ${fieldPath}`);
}

const SUPPORTED_ENV_FIELDS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid',
  'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName',
  'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);

/** Where an env var's fieldRef reads the pod's runtime addresses from. */
export interface RuntimeAddresses {
  podIPs: string[];
  hostIPs: string[];
}

/**
 * The value of an env var's `valueFrom.fieldRef` (the kubelet's podFieldSelectorRuntimeValue after
 * ConvertDownwardAPIFieldLabel). As upstream, labels like `spec.restartPolicy` pass the label
 * check and then fail extraction with `unsupported fieldPath`.
 */
export function podFieldSelectorValue(pod: Pod, apiVersion: string | undefined, fieldPath: string, addrs: RuntimeAddresses): string {
  const version = apiVersion || 'v1';
  if (version !== 'v1') throw new DownwardApiError(`unsupported pod version: ${version}`);
  let path = fieldPath;
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    if (sub.path !== 'metadata.annotations' && sub.path !== 'metadata.labels') throw new DownwardApiError(`field label does not support subscript: ${fieldPath}`);
  } else if (fieldPath === 'spec.host') {
    path = 'spec.nodeName';
  } else if (!SUPPORTED_ENV_FIELDS.has(fieldPath)) {
    throw new DownwardApiError(`field label not supported: ${fieldPath}`);
  }
  switch (path) {
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      if (addrs.hostIPs.length === 0) throw new DownwardApiError('failed to get host IP: no host IP is known');
      return addrs.hostIPs[0];
    case 'status.hostIPs': return addrs.hostIPs.join(',');
    case 'status.podIP': return addrs.podIPs[0] ?? '';
    case 'status.podIPs': return addrs.podIPs.join(',');
  }
  return extractFieldPathAsString(pod, path);
}

function quantity(v: string | number | undefined): Quantity {
  if (v === undefined) return { nanos: 0n };
  return parseQuantity(v) ?? { nanos: 0n };
}

/** Integer value rounded up (Quantity.Value()). */
function value(q: Quantity): bigint {
  const d = 1_000_000_000n;
  const v = q.nanos / d;
  return q.nanos % d > 0n ? v + 1n : v;
}

/** ceil(a / b) for positive b, as the float64 math.Ceil division upstream does. */
function ceilDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new DownwardApiError('divisor must not be zero');
  const q = a / b;
  return a % b !== 0n && (a > 0n) === (b > 0n) ? q + 1n : q;
}

const CPU_RESOURCES = new Set(['limits.cpu', 'requests.cpu']);

/**
 * A container's resource as a string in units of `divisor` (default 1), rounded up
 * (ExtractContainerResourceValue). Limits the container leaves unset default to the node's
 * allocatable when `node` is given (ExtractResourceValueByContainerNameAndNodeAllocatable).
 */
export function containerResourceValue(fs: ResourceFieldSelector, container: Container, node?: NodeAllocatable): string {
  const divisorQ = fs.divisor === undefined || quantity(fs.divisor).nanos === 0n ? { nanos: 1_000_000_000n } : quantity(fs.divisor);
  const [kind, name] = [fs.resource.slice(0, fs.resource.indexOf('.')), fs.resource.slice(fs.resource.indexOf('.') + 1)];
  const list = (kind === 'limits' ? container.resources?.limits : kind === 'requests' ? container.resources?.requests : undefined) as Record<string, string | number> | undefined;
  const known = ['cpu', 'memory', 'ephemeral-storage'];
  if ((kind !== 'limits' && kind !== 'requests') || (!known.includes(name) && !name.startsWith('hugepages-'))) {
    throw new DownwardApiError(`unsupported container resource : ${fs.resource}`);
  }
  let q = list?.[name] !== undefined ? quantity(list[name]) : undefined;
  if (q === undefined && kind === 'limits' && node) {
    if (name === 'cpu') q = { nanos: node.cpuMilli * 1_000_000n };
    else if (name === 'memory') q = { nanos: node.memoryBytes * 1_000_000_000n };
    else if (name === 'ephemeral-storage') q = { nanos: node.ephemeralStorageBytes * 1_000_000_000n };
  }
  q ??= { nanos: 0n };
  if (CPU_RESOURCES.has(fs.resource)) return String(ceilDiv(milliValue(q), milliValue(divisorQ)));
  return String(ceilDiv(value(q), value(divisorQ)));
}

/** The named container of a pod (regular, then init), as findContainerInPod. */
export function findContainer(pod: Pod, name: string): Container {
  const c = pod.spec?.containers.find((x) => x.name === name) ?? pod.spec?.initContainers?.find((x) => x.name === name);
  if (!c) throw new DownwardApiError(`container ${name} not found`);
  return c;
}
