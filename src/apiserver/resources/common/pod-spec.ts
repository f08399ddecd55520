// PodSpec defaulting and validation shared by Pods and pod templates (Deployment, ReplicaSet).
// Facts from k/k pkg/apis/core/v1/defaults.go (SetDefaults_PodSpec, _Container, _Probe,
// _HTTPGetAction, _Volume sources) and pkg/apis/core/validation/validation.go (ValidatePodSpec,
// validateContainers, validatePorts, validateVolumes, validateRestartPolicy, ValidatePodUpdate).
import type { FieldError } from '../../../api/field-errors.js';
import { defaultPullPolicy } from '../../../api/image-reference.js';
import { compareQuantities, parseQuantity, QUANTITY_FORMAT_ERROR } from '../../../api/quantity.js';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, validateLabels } from '../../../api/validation.js';
import { clone, deepEqual, setDefault } from './util.js';

type Obj = Record<string, any>;

/** Mode 0644, the default for secret, configMap, downwardAPI and projected volumes. */
export const DEFAULT_VOLUME_MODE = 420;

function defaultProbe(p: Obj | undefined): void {
  if (!p) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  if (p.httpGet) {
    setDefault(p.httpGet, 'path', '/');
    setDefault(p.httpGet, 'scheme', 'HTTP');
  }
}

function defaultFieldRefs(items: Obj[] | undefined): void {
  for (const it of items ?? []) if (it.fieldRef) setDefault(it.fieldRef, 'apiVersion', 'v1');
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(typeof c.image === 'string' ? c.image : '');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const p of c.ports ?? []) {
    setDefault(p, 'protocol', 'TCP');
    if (hostNetwork && !p.hostPort && p.containerPort) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  // SetDefaults_Pod: a limit with no request makes the request equal to the limit.
  const limits = c.resources?.limits as Obj | undefined;
  if (limits && Object.keys(limits).length) {
    c.resources.requests ??= {};
    for (const [k, v] of Object.entries(limits)) if (c.resources.requests[k] === undefined) c.resources.requests[k] = v;
  }
}

function defaultVolume(v: Obj): void {
  if (v.secret) setDefault(v.secret, 'defaultMode', DEFAULT_VOLUME_MODE);
  if (v.configMap) setDefault(v.configMap, 'defaultMode', DEFAULT_VOLUME_MODE);
  if (v.downwardAPI) {
    setDefault(v.downwardAPI, 'defaultMode', DEFAULT_VOLUME_MODE);
    defaultFieldRefs(v.downwardAPI.items);
  }
  if (v.projected) {
    setDefault(v.projected, 'defaultMode', DEFAULT_VOLUME_MODE);
    for (const s of v.projected.sources ?? []) {
      if (s.serviceAccountToken) setDefault(s.serviceAccountToken, 'expirationSeconds', 3600);
      if (s.downwardAPI) defaultFieldRefs(s.downwardAPI.items);
    }
  }
  if (v.hostPath) setDefault(v.hostPath, 'type', '');
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
}

/** Applies the v1 defaults of a PodSpec in place (pods and pod templates alike). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  if (!spec.securityContext) spec.securityContext = {};
  setDefault(spec, 'schedulerName', 'default-scheduler');
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

/** Options of validatePodSpec. */
export interface PodSpecValidationOptions {
  /** Pods reject images with surrounding whitespace; templates accept them (validateContainersOnlyForPod). */
  isPod: boolean;
}

function validateResources(c: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = c.resources ?? {};
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, v] of Object.entries((r[kind] ?? {}) as Obj)) {
      const q = parseQuantity(v as string);
      if (!q) errs.push({ type: 'Invalid', field: `${path}.resources.${kind}[${name}]`, badValue: v, detail: QUANTITY_FORMAT_ERROR });
      else if (q.nanos < 0n) errs.push({ type: 'Invalid', field: `${path}.resources.${kind}[${name}]`, badValue: v, detail: 'must be greater than or equal to 0' });
    }
  }
  for (const [name, v] of Object.entries((r.requests ?? {}) as Obj)) {
    const lim = r.limits?.[name];
    if (lim === undefined) continue;
    const rq = parseQuantity(v as string);
    const lq = parseQuantity(lim);
    if (rq && lq && compareQuantities(rq, lq) > 0) {
      errs.push({ type: 'Invalid', field: `${path}.resources.requests`, badValue: String(v), detail: `must be less than or equal to ${name} limit of ${String(lim)}` });
    }
  }
  return errs;
}

function validatePorts(ports: Obj[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [i, p] of (ports ?? []).entries()) {
    const pp = `${path}[${i}]`;
    if (p.name) {
      for (const m of isValidPortName(p.name)) errs.push({ type: 'Invalid', field: `${pp}.name`, badValue: p.name, detail: m });
      if (names.has(p.name)) errs.push({ type: 'Duplicate', field: `${pp}.name`, badValue: p.name });
      names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) errs.push({ type: 'Required', field: `${pp}.containerPort` });
    else for (const m of isValidPortNum(p.containerPort)) errs.push({ type: 'Invalid', field: `${pp}.containerPort`, badValue: p.containerPort, detail: m });
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push({ type: 'Invalid', field: `${pp}.hostPort`, badValue: p.hostPort, detail: m });
    if (!p.protocol) errs.push({ type: 'Required', field: `${pp}.protocol` });
    else if (!PROTOCOLS.includes(p.protocol)) errs.push({ type: 'NotSupported', field: `${pp}.protocol`, badValue: p.protocol, supported: PROTOCOLS });
  }
  return errs;
}

function validatePortNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => ({ type: 'Invalid', field, badValue: port, detail: m }));
  if (typeof port === 'number') return isValidPortNum(port).map((m) => ({ type: 'Invalid', field, badValue: port, detail: m }));
  return [{ type: 'Required', field }];
}

/** validateProbe: one handler, sane thresholds (liveness and startup need successThreshold 1). */
function validateProbe(p: Obj | undefined, path: string, mustSucceedOnce: boolean): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((k) => p[k] !== undefined && p[k] !== null);
  if (handlers.length === 0) errs.push({ type: 'Required', field: path, detail: 'must specify a handler type' });
  else if (handlers.length > 1) errs.push({ type: 'Forbidden', field: `${path}.${handlers[1]}`, detail: 'may not specify more than 1 handler type' });
  if (p.httpGet) errs.push(...validatePortNumOrName(p.httpGet.port, `${path}.httpGet.port`));
  if (p.tcpSocket) errs.push(...validatePortNumOrName(p.tcpSocket.port, `${path}.tcpSocket.port`));
  if (p.exec && !(p.exec.command ?? []).length) errs.push({ type: 'Required', field: `${path}.exec.command` });
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if (typeof p[f] === 'number' && p[f] < 0) errs.push({ type: 'Invalid', field: `${path}.${f}`, badValue: p[f], detail: 'must be greater than or equal to 0' });
  }
  if (mustSucceedOnce && typeof p.successThreshold === 'number' && p.successThreshold !== 1) {
    errs.push({ type: 'Invalid', field: `${path}.successThreshold`, badValue: p.successThreshold, detail: 'must be 1' });
  }
  return errs;
}

function validateContainer(c: Obj, path: string, volumes: Set<string>, names: Set<string>, opts: PodSpecValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push({ type: 'Required', field: `${path}.name` });
  else {
    for (const m of isDNS1123Label(c.name)) errs.push({ type: 'Invalid', field: `${path}.name`, badValue: c.name, detail: m });
    if (names.has(c.name)) errs.push({ type: 'Duplicate', field: `${path}.name`, badValue: c.name });
    names.add(c.name);
  }
  if (!c.image) errs.push({ type: 'Required', field: `${path}.image` });
  else if (opts.isPod && c.image.trim() !== c.image) {
    errs.push({ type: 'Invalid', field: `${path}.image`, badValue: c.image, detail: 'must not have leading or trailing whitespace' });
  }
  if (!c.imagePullPolicy) errs.push({ type: 'Required', field: `${path}.imagePullPolicy` });
  else if (!PULL_POLICIES.includes(c.imagePullPolicy)) errs.push({ type: 'NotSupported', field: `${path}.imagePullPolicy`, badValue: c.imagePullPolicy, supported: PULL_POLICIES });
  if (c.terminationMessagePolicy && !TERMINATION_MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
    errs.push({ type: 'NotSupported', field: `${path}.terminationMessagePolicy`, badValue: c.terminationMessagePolicy, supported: TERMINATION_MESSAGE_POLICIES });
  }
  errs.push(...validatePorts(c.ports, `${path}.ports`));
  for (const [i, m] of ((c.volumeMounts ?? []) as Obj[]).entries()) {
    const mp = `${path}.volumeMounts[${i}]`;
    if (!m.name) errs.push({ type: 'Required', field: `${mp}.name` });
    else if (!volumes.has(m.name)) errs.push({ type: 'NotFound', field: `${mp}.name`, badValue: m.name });
    if (!m.mountPath) errs.push({ type: 'Required', field: `${mp}.mountPath` });
  }
  for (const [i, e] of ((c.env ?? []) as Obj[]).entries()) {
    const ep = `${path}.env[${i}].name`;
    // RelaxedEnvironmentVariableValidation is on by default in 1.32 (KEP-4369, beta).
    if (!e.name) errs.push({ type: 'Required', field: ep });
    else if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(e.name)) {
      errs.push({ type: 'Invalid', field: ep, badValue: e.name, detail: "a valid environment variable name must consist only of printable ASCII characters other than '='" });
    }
  }
  errs.push(...validateProbe(c.livenessProbe, `${path}.livenessProbe`, true));
  errs.push(...validateProbe(c.readinessProbe, `${path}.readinessProbe`, false));
  errs.push(...validateProbe(c.startupProbe, `${path}.startupProbe`, true));
  errs.push(...validateResources(c, path));
  return errs;
}

function validateVolumes(volumes: Obj[] | undefined, path: string): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [i, v] of (volumes ?? []).entries()) {
    const vp = `${path}[${i}]`;
    if (!v.name) errs.push({ type: 'Required', field: `${vp}.name` });
    else {
      for (const m of isDNS1123Label(v.name)) errs.push({ type: 'Invalid', field: `${vp}.name`, badValue: v.name, detail: m });
      if (names.has(v.name)) errs.push({ type: 'Duplicate', field: `${vp}.name`, badValue: v.name });
      names.add(v.name);
    }
    const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
    if (sources.length === 0) errs.push({ type: 'Required', field: vp, detail: 'must specify a volume type' });
    else if (sources.length > 1) errs.push({ type: 'Forbidden', field: `${vp}.${sources[1]}`, detail: 'may not specify more than 1 volume type' });
  }
  return { errs, names };
}

/** ValidatePodSpec: what users hit most, with upstream's paths under `path` (e.g. `spec`). */
export function validatePodSpec(spec: Obj | undefined, path: string, opts: PodSpecValidationOptions): FieldError[] {
  const s = spec ?? {};
  const vol = validateVolumes(s.volumes, `${path}.volumes`);
  const errs = [...vol.errs];
  const names = new Set<string>();
  // Upstream validates regular containers first, then init containers against all names.
  const containers = (s.containers ?? []) as Obj[];
  if (containers.length === 0) errs.push({ type: 'Required', field: `${path}.containers` });
  for (const [i, c] of containers.entries()) {
    errs.push(...validateContainer(c, `${path}.containers[${i}]`, vol.names, names, opts));
    if (c.restartPolicy !== undefined) errs.push({ type: 'Forbidden', field: `${path}.containers[${i}].restartPolicy`, detail: 'may not be set for non-init containers' });
  }
  for (const [i, c] of ((s.initContainers ?? []) as Obj[]).entries()) {
    errs.push(...validateContainer(c, `${path}.initContainers[${i}]`, vol.names, names, opts));
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
      errs.push({ type: 'NotSupported', field: `${path}.initContainers[${i}].restartPolicy`, badValue: c.restartPolicy, supported: ['Always'] });
    }
  }
  if (!s.restartPolicy) errs.push({ type: 'Required', field: `${path}.restartPolicy` });
  else if (!RESTART_POLICIES.includes(s.restartPolicy)) errs.push({ type: 'NotSupported', field: `${path}.restartPolicy`, badValue: s.restartPolicy, supported: RESTART_POLICIES });
  if (s.dnsPolicy && !DNS_POLICIES.includes(s.dnsPolicy)) errs.push({ type: 'NotSupported', field: `${path}.dnsPolicy`, badValue: s.dnsPolicy, supported: DNS_POLICIES });
  errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (!Number.isInteger(v) || v < 1 || v > 2147483647) errs.push({ type: 'Invalid', field: `${path}.activeDeadlineSeconds`, badValue: v, detail: inclusiveRangeError(1, 2147483647) });
  }
  if (typeof s.terminationGracePeriodSeconds === 'number' && !Number.isInteger(s.terminationGracePeriodSeconds)) {
    errs.push({ type: 'Invalid', field: `${path}.terminationGracePeriodSeconds`, badValue: s.terminationGracePeriodSeconds, detail: 'must be an integer' });
  }
  if (s.serviceAccountName) for (const m of isDNS1123Subdomain(s.serviceAccountName)) errs.push({ type: 'Invalid', field: `${path}.serviceAccountName`, badValue: s.serviceAccountName, detail: m });
  if (s.hostname) for (const m of isDNS1123Label(s.hostname)) errs.push({ type: 'Invalid', field: `${path}.hostname`, badValue: s.hostname, detail: m });
  if (s.subdomain) for (const m of isDNS1123Label(s.subdomain)) errs.push({ type: 'Invalid', field: `${path}.subdomain`, badValue: s.subdomain, detail: m });
  if (s.nodeName) for (const m of isDNS1123Subdomain(s.nodeName)) errs.push({ type: 'Invalid', field: `${path}.nodeName`, badValue: s.nodeName, detail: m });
  for (const [i, t] of ((s.tolerations ?? []) as Obj[]).entries()) {
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push({ type: 'NotSupported', field: `${path}.tolerations[${i}].effect`, badValue: t.effect, supported: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] });
    }
    if (t.operator && !['Exists', 'Equal'].includes(t.operator)) {
      errs.push({ type: 'NotSupported', field: `${path}.tolerations[${i}].operator`, badValue: t.operator, supported: ['Equal', 'Exists'] });
    }
  }
  return errs;
}

/**
 * The fields a pod update may change, listed as upstream lists them
 * (updatablePodSpecFieldsNoResources in validation.go, 1.32 with InPlacePodVerticalScaling off).
 */
export const POD_UPDATE_FORBIDDEN_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * ValidatePodUpdate's spec rule: after taking the mutable fields over from the old spec, the
 * specs must be equal. Upstream appends a cmp.Diff of the two specs to the message; berth leaves
 * the diff out.
 */
export function validatePodSpecUpdate(spec: Obj | undefined, old: Obj | undefined): FieldError[] {
  const munged = clone(spec ?? {});
  const o = old ?? {};
  for (const key of ['containers', 'initContainers'] as const) {
    const news = (munged[key] ?? []) as Obj[];
    const olds = (o[key] ?? []) as Obj[];
    news.forEach((c, i) => {
      if (olds[i]) c.image = olds[i].image;
    });
  }
  const errs: FieldError[] = [];
  if (munged.activeDeadlineSeconds !== undefined) {
    const was = o.activeDeadlineSeconds;
    const now = munged.activeDeadlineSeconds;
    if (was !== undefined && was !== null && (now === null || now > was)) {
      errs.push({ type: 'Invalid', field: 'spec.activeDeadlineSeconds', badValue: now, detail: 'must be less than or equal to previous value' });
    }
  }
  munged.activeDeadlineSeconds = o.activeDeadlineSeconds;
  const oldTols = (o.tolerations ?? []) as Obj[];
  const newTols = (munged.tolerations ?? []) as Obj[];
  if (oldTols.every((t) => newTols.some((n) => deepEqual(n, t)))) munged.tolerations = o.tolerations;
  if (typeof o.terminationGracePeriodSeconds === 'number' && o.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = o.terminationGracePeriodSeconds;
  }
  munged.ephemeralContainers = o.ephemeralContainers;
  if (!deepEqual(munged, o)) errs.push({ type: 'Forbidden', field: 'spec', detail: POD_UPDATE_FORBIDDEN_MESSAGE });
  return errs;
}

/**
 * The pod's QoS class (k/k pkg/apis/core/helper/qos GetPodQOS): only cpu and memory count;
 * BestEffort without any, Guaranteed when every container limits both and requests equal limits.
 */
export function podQOSClass(spec: Obj | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...((spec?.initContainers ?? []) as Obj[]), ...((spec?.containers ?? []) as Obj[])];
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const c of containers) {
    const seenLimits = new Set<string>();
    for (const [kind, into] of [['requests', requests], ['limits', limits]] as const) {
      for (const [name, v] of Object.entries((c.resources?.[kind] ?? {}) as Obj)) {
        if (name !== 'cpu' && name !== 'memory') continue;
        const q = parseQuantity(v as string);
        if (!q || q.nanos <= 0n) continue;
        into.set(name, (into.get(name) ?? 0n) + q.nanos);
        if (kind === 'limits') seenLimits.add(name);
      }
    }
    if (seenLimits.size !== 2) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of requests) if (limits.get(name) !== r) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
