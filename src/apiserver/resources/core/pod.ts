// core/v1 Pod: defaults, ServiceAccount / DefaultTolerationSeconds / Priority admission,
// validation, graceful deletion and the `kubectl get pods` table.
// Sources: k/k pkg/registry/core/pod/strategy.go, pkg/apis/core/v1/defaults.go,
// plugin/pkg/admission/serviceaccount/admission.go, plugin/pkg/admission/defaulttolerationseconds,
// pkg/printers/internalversion/printers.go (printPod); reference/printer-columns.md §Pod.
import type { FieldError } from '../../../api/field-errors.js';
import { ageSince } from '../../../api/duration.js';
import { isDNS1123Label, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import { warnPodSpec } from '../apps/workload.js';
import { AdmissionForbiddenError, type KubeObject, type ResourceStrategy, type StrategyContext } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column } from '../common/table.js';
import { defaultPodSpec, podQOSClass, validatePodSpec, validatePodSpecUpdate, DEFAULT_VOLUME_MODE } from '../common/pod-spec.js';
import { ALL_VERBS, randomSuffix } from '../common/util.js';

type Obj = Record<string, any>;

/** Where the ServiceAccount admission mounts the API credentials. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Token lifetime of the projected volume (admission.go: 1 hour + 7 s so kubelets refresh in time). */
export const SERVICE_ACCOUNT_TOKEN_EXPIRATION_SECONDS = 3607;
/** Seconds the default NoExecute tolerations allow (defaulttolerationseconds: 300). */
export const DEFAULT_TOLERATION_SECONDS = 300;
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** Adds the not-ready / unreachable NoExecute tolerations a pod lacks (DefaultTolerationSeconds). */
export function addDefaultTolerations(spec: Obj): void {
  const tols = (spec.tolerations ?? []) as Obj[];
  const tolerates = (key: string) =>
    tols.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const add: Obj[] = [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerates(key)) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  if (add.length) spec.tolerations = [...tols, ...add];
}

/** The projected `kube-api-access-*` volume the ServiceAccount admission adds. */
export function serviceAccountVolume(name: string): Obj {
  return {
    name,
    projected: {
      defaultMode: DEFAULT_VOLUME_MODE,
      sources: [
        { serviceAccountToken: { expirationSeconds: SERVICE_ACCOUNT_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/**
 * The ServiceAccount admission on pod create: `default` account, its imagePullSecrets when the
 * pod has none, and the token volume mounted read-only in every container unless automount is
 * off (the pod's setting wins over the account's) or a container already mounts that path.
 */
export function applyServiceAccount(pod: KubeObject, sa: KubeObject, random: () => number = Math.random): void {
  const spec = pod.spec as Obj;
  if (!spec.imagePullSecrets?.length && Array.isArray(sa.imagePullSecrets) && sa.imagePullSecrets.length) {
    spec.imagePullSecrets = sa.imagePullSecrets.map((r: Obj) => ({ name: r.name }));
  }
  const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
  if (!automount) return;
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])] as Obj[];
  const needs = all.filter((c) => !(c.volumeMounts ?? []).some((m: Obj) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH));
  if (needs.length === 0) return;
  const taken = new Set(((spec.volumes ?? []) as Obj[]).map((v) => v.name));
  let name = `kube-api-access-${randomSuffix(5, random)}`;
  // A fixed random source (tests) cannot loop forever on a clash.
  for (let i = 0; taken.has(name); i++) name = `kube-api-access-${randomSuffix(5, i < 16 ? random : Math.random)}`;
  spec.volumes = [...(spec.volumes ?? []), serviceAccountVolume(name)];
  for (const c of needs) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
}

/** The PriorityClasses every cluster has (k/k pkg/apis/scheduling SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

/**
 * The Priority admission plugin (k/k plugin/pkg/admission/priority): priority and
 * preemptionPolicy from the named PriorityClass, or 0 / PreemptLowerPriority without one; a
 * pod may not state values that disagree with its class.
 */
export async function admitPriority(spec: Obj, ctx: StrategyContext): Promise<void> {
  let priority = 0;
  let policy = 'PreemptLowerPriority';
  const name = spec.priorityClassName as string | undefined;
  if (name) {
    if (name in SYSTEM_PRIORITY_CLASSES) priority = SYSTEM_PRIORITY_CLASSES[name];
    else {
      const pc = await ctx.get('priorityclasses', 'scheduling.k8s.io', undefined, name);
      if (!pc) throw new AdmissionForbiddenError(`no PriorityClass with name ${name} was found`);
      priority = Number(pc.value ?? 0);
      policy = pc.preemptionPolicy ?? policy;
    }
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
    throw new AdmissionForbiddenError(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  if (spec.preemptionPolicy && spec.preemptionPolicy !== policy) {
    throw new AdmissionForbiddenError(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
  }
  spec.priority = priority;
  spec.preemptionPolicy = policy;
}

function isRestartableInit(c: Obj | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function laterOf(cur: number, ts: string | undefined): number {
  if (!ts) return cur;
  const t = Date.parse(ts);
  return Number.isNaN(t) || t <= cur ? cur : t;
}

function hasCondition(status: Obj, type: string, want: string): boolean {
  return ((status.conditions ?? []) as Obj[]).some((c) => c.type === type && c.status === want);
}

/** READY, STATUS and RESTARTS of printPod, in that order. */
export function podStatusCells(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = (pod.spec ?? {}) as Obj;
  const status = (pod.status ?? {}) as Obj;
  const inits = (spec.initContainers ?? []) as Obj[];
  const containers = (spec.containers ?? []) as Obj[];
  let reason: string = status.phase ?? '';
  if (status.reason) reason = status.reason;
  for (const c of (status.conditions ?? []) as Obj[]) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const total = containers.length + inits.filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart = 0;
  let sidecarRestarts = 0;
  let sidecarLast = 0;
  let initializing = false;
  const initByName = new Map(inits.map((c) => [c.name, c]));
  for (const [i, cs] of ((status.initContainerStatuses ?? []) as Obj[]).entries()) {
    restarts += cs.restartCount ?? 0;
    lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt);
    const sidecar = isRestartableInit(initByName.get(cs.name));
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      sidecarLast = laterOf(sidecarLast, cs.lastState?.terminated?.finishedAt);
    }
    const term = cs.state?.terminated;
    const wait = cs.state?.waiting;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (sidecar && cs.started) {
      if (cs.ready) ready++;
      continue;
    }
    if (term) {
      if (term.reason) reason = `Init:${term.reason}`;
      else if (term.signal) reason = `Init:Signal:${term.signal}`;
      else reason = `Init:ExitCode:${term.exitCode ?? 0}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${inits.length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing || hasCondition(status, 'Initialized', 'True')) {
    restarts = sidecarRestarts;
    lastRestart = sidecarLast;
    let hasRunning = false;
    const statuses = (status.containerStatuses ?? []) as Obj[];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount ?? 0;
      lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt);
      const st = cs.state ?? {};
      if (st.waiting?.reason) reason = st.waiting.reason;
      else if (st.terminated?.reason) reason = st.terminated.reason;
      else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode ?? 0}`;
      else if (cs.ready && st.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(status, 'Ready', 'True') ? 'Running' : 'NotReady';
  }
  const deleting = !!pod.metadata.deletionTimestamp;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartsCell = `${restarts} (${ageSince(new Date(lastRestart), now)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

function podIP(status: Obj): string {
  return status.podIP || status.podIPs?.[0]?.ip || '<none>';
}

function readinessGates(spec: Obj, status: Obj): string {
  const gates = (spec.readinessGates ?? []) as Obj[];
  if (gates.length === 0) return '<none>';
  const conds = (status.conditions ?? []) as Obj[];
  let t = 0;
  for (const g of gates) {
    const c = conds.find((x) => x.type === g.conditionType);
    if (c?.status === 'True') t++;
  }
  return `${t}/${gates.length}`;
}

/** The Table row conditions upstream adds for finished pods (Completed / Failed). */
export function podRowConditions(pod: KubeObject): Obj[] | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
  if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  return undefined;
}

/** The Pod strategy. `random` feeds the generated volume suffix (tests pass a fixed one). */
export function podStrategy(random: () => number = Math.random): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'Pod',
    resource: 'pods',
    singular: 'pod',
    shortNames: ['po'],
    categories: ['all'],
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: { status: true, extra: ['binding', 'log', 'exec', 'portforward'] },
    prepareForCreate(obj) {
      obj.spec ??= {};
      const spec = obj.spec as Obj;
      defaultPodSpec(spec);
      // v1 conversion: the deprecated serviceAccount field stands in for serviceAccountName.
      if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
      addDefaultTolerations(spec);
      obj.status = { phase: 'Pending', qosClass: podQOSClass(spec) };
    },
    prepareForUpdate(obj, old) {
      obj.spec ??= {};
      defaultPodSpec(obj.spec as Obj);
      obj.status = old.status;
    },
    async admit(obj, old, ctx: StrategyContext): Promise<FieldError[] | void> {
      if (old) return;
      if (obj.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
      obj.spec ??= {};
      const spec = obj.spec as Obj;
      if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
      if (spec.serviceAccount === undefined || spec.serviceAccount === '') spec.serviceAccount = spec.serviceAccountName;
      const ns = obj.metadata.namespace ?? '';
      const sa = await ctx.get('serviceaccounts', '', ns, spec.serviceAccountName);
      if (!sa) {
        throw new AdmissionForbiddenError(
          `error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`,
        );
      }
      applyServiceAccount(obj, sa, random);
      await admitPriority(spec, ctx);
    },
    validate(obj, ctx) {
      // Pod create warnings (k/k pkg/registry/core/pod/strategy.go WarningsOnCreate,
      // pkg/api/pod/warnings.go).
      const dns = obj.metadata.name ? isDNS1123Label(obj.metadata.name) : [];
      if (dns.length) ctx.warn(`metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [${dns.join(' ')}]`);
      warnPodSpec(obj.spec, 'spec', ctx);
      return [
        ...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain),
        ...validatePodSpec(obj.spec, 'spec', { isPod: true }),
      ];
    },
    validateUpdate(obj, old) {
      return [
        ...validateObjectMetaUpdate(obj.metadata, old.metadata),
        ...validatePodSpec(obj.spec, 'spec', { isPod: true }),
        ...validatePodSpecUpdate(obj.spec, old.spec),
      ];
    },
    validateStatusUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
      const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
      const phase = obj.status?.phase;
      if (phase && !phases.includes(phase)) errs.push({ type: 'NotSupported', field: 'status.phase', badValue: phase, supported: phases });
      const oldPhase = old.status?.phase;
      if ((oldPhase === 'Succeeded' || oldPhase === 'Failed') && phase !== oldPhase) {
        errs.push({ type: 'Forbidden', field: 'status.phase', detail: `cannot transition from terminal phase ${oldPhase} to ${String(phase)}` });
      }
      return errs;
    },
    table: {
      columns: [
        NAME_COLUMN,
        column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
        column('Status', 'string', 'The aggregate status of the containers in this pod.'),
        column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
        AGE_COLUMN,
        column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
        column('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements.', 1),
        column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.', 1),
        column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', 1),
      ],
      cells(obj, now) {
        const spec = (obj.spec ?? {}) as Obj;
        const status = (obj.status ?? {}) as Obj;
        const s = podStatusCells(obj, now);
        return [
          obj.metadata.name ?? '', s.ready, s.status, s.restarts, ageCell(obj, now),
          podIP(status), spec.nodeName || '<none>', status.nominatedNodeName || '<none>', readinessGates(spec, status),
        ];
      },
    },
    fieldLabels(obj) {
      const spec = (obj.spec ?? {}) as Obj;
      const status = (obj.status ?? {}) as Obj;
      return {
        'spec.nodeName': spec.nodeName ?? '',
        'spec.restartPolicy': spec.restartPolicy ?? '',
        'spec.schedulerName': spec.schedulerName ?? '',
        'spec.serviceAccountName': spec.serviceAccountName ?? '',
        'spec.hostNetwork': String(spec.hostNetwork === true),
        'status.phase': status.phase ?? '',
        'status.podIP': status.podIPs?.[0]?.ip ?? status.podIP ?? '',
        'status.nominatedNodeName': status.nominatedNodeName ?? '',
      };
    },
    gracePeriod(obj, requested) {
      let period = requested ?? (obj.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30;
      if (!obj.spec?.nodeName) period = 0;
      const phase = obj.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') period = 0;
      if (period < 0) period = 1;
      return period;
    },
  };
}
