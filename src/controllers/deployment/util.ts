// Deployment arithmetic and bookkeeping, with upstream's constants and rounding
// (k8s.io/kubernetes/pkg/controller/deployment/util/deployment_util.go, controller_utils.go).
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { canonicalJson, fnv32a, parseTime, rfc3339, safeEncodeString } from '../objects.js';

/** Label carrying the template hash on ReplicaSets and their pods. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Revision of a ReplicaSet / the Deployment's current revision. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Earlier revisions a ReplicaSet held (after rollbacks), comma-separated. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** The Deployment's replicas when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** replicas + maxSurge when the ReplicaSet was last scaled. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** Upstream's cap on the revision-history annotation's length. */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

/** Condition reasons (deployment_util.go). */
export const Reasons = {
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  FailedRSCreate: 'ReplicaSetCreateError',
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

// Annotations the controller never copies from a Deployment onto its ReplicaSets.
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** spec.replicas with the API default of 1. */
export function specReplicas(o: { spec?: { replicas?: number } } | undefined): number {
  return o?.spec?.replicas ?? 1;
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, or `N%` of total, rounded up or down.
 * Throws on a malformed percentage, as upstream returns an error.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v);
  if (!m) {
    if (/^-?\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/**
 * deploymentutil.ResolveFenceposts: maxSurge rounds up, maxUnavailable rounds down, and when
 * both come out zero maxUnavailable becomes 1 so the rollout can make progress.
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Whether the Deployment uses RollingUpdate (the default strategy). */
export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** deploymentutil.MaxSurge: 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, specReplicas(d)).surge;
}

/** deploymentutil.MaxUnavailable: 0 for Recreate or zero replicas, never more than replicas. */
export function maxUnavailable(d: Deployment): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/** The template without its pod-template-hash label, for EqualIgnoreHash. */
function templateIgnoringHash(t: PodTemplateSpec | undefined): unknown {
  const copy = structuredClone(t ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

/**
 * Drops null members, empty objects and empty arrays, recursively. apimachinery's
 * Semantic.DeepEqual treats nil and empty slices and maps as equal, and a zero-valued struct
 * field (`resources: {}`, which kubectl's rollout undo sends back) serializes to an empty object
 * that Go cannot tell from an absent one.
 */
function semantic(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(semantic);
    return out.length ? out : undefined;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = semantic(x);
      if (n !== undefined && n !== null) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/** deploymentutil.EqualIgnoreHash: templates semantically equal once the hash label is removed. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(semantic(templateIgnoringHash(a))) === canonicalJson(semantic(templateIgnoringHash(b)));
}

/**
 * controller.ComputeHash: 32-bit FNV-1a over the template, then collisionCount as 8 bytes
 * little-endian (only its low 4 set, as upstream writes it), rendered as the decimal sum passed
 * through rand.SafeEncodeString. Upstream feeds the hasher Go's spew dump of the struct; we feed
 * the template's canonical JSON, so our hash values differ from upstream's for the same template
 * while keeping the algorithm, alphabet and length.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const bytes = Buffer.from(canonicalJson(template ?? {}), 'utf8');
  let h = fnv32a(bytes);
  if (collisionCount !== undefined) {
    const c = Buffer.alloc(8);
    c.writeUInt32LE(collisionCount >>> 0, 0);
    h = fnv32a(c, h);
  }
  return safeEncodeString(String(h));
}

/** The numeric revision of an object (0 when absent or malformed). */
export function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = o.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  return Number(v);
}

function creationMs(rs: ReplicaSet): number {
  return parseTime(rs.metadata?.creationTimestamp) ?? 0;
}

/** controller.ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  const d = creationMs(a) - creationMs(b);
  if (d !== 0) return d;
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0;
}

/** controller.ReplicaSetsBySizeOlder: larger first; same size, older first. */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreationTimestamp(a, b);
}

/** controller.ReplicaSetsBySizeNewer: larger first; same size, newer first. */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreationTimestamp(b, a);
}

/** deploymentutil.ReplicaSetsByRevision: lowest revision first, then oldest. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreationTimestamp(a, b);
}

/** Sum of spec.replicas. */
export function replicaCount(rss: ReplicaSet[]): number {
  return rss.reduce((n, rs) => n + specReplicas(rs), 0);
}

/** Sum of status.replicas. */
export function actualReplicaCount(rss: ReplicaSet[]): number {
  return rss.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
}

/** Sum of status.readyReplicas. */
export function readyReplicaCount(rss: ReplicaSet[]): number {
  return rss.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0);
}

/** Sum of status.availableReplicas. */
export function availableReplicaCount(rss: ReplicaSet[]): number {
  return rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
}

/** controller.FilterActiveReplicaSets: those with spec.replicas > 0. */
export function activeReplicaSets(rss: ReplicaSet[]): ReplicaSet[] {
  return rss.filter((rs) => specReplicas(rs) > 0);
}

/** An int annotation of the ReplicaSet, if present and well-formed. */
export function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** deploymentutil.SetReplicasAnnotations: returns whether anything changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  rs.metadata ??= {};
  rs.metadata.annotations ??= {};
  let changed = false;
  if (rs.metadata.annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    rs.metadata.annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (rs.metadata.annotations[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    rs.metadata.annotations[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

/** deploymentutil.ReplicasAnnotationsNeedUpdate. */
export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * deploymentutil.SetNewReplicaSetAnnotations: copies the Deployment's own annotations, raises the
 * revision to newRevision when lower (keeping the previous one in revision-history, which is
 * what a rollback leaves behind), and on creation sets the replicas annotations.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  rs.metadata ??= {};
  rs.metadata.annotations ??= {};
  const ann = rs.metadata.annotations;
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const had = REVISION_ANNOTATION in ann;
  const oldRevision = ann[REVISION_ANNOTATION] ?? '';
  let oldRevisionInt = 0;
  if (oldRevision !== '') {
    if (!/^\d+$/.test(oldRevision)) return false;
    oldRevisionInt = Number(oldRevision);
  }
  if (oldRevisionInt < newRevision) {
    ann[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (had) {
      const history = ann[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') ann[REVISION_HISTORY_ANNOTATION] = oldRevision;
      else {
        let parts = history.split(',');
        let total = history.length + oldRevision.length + 1;
        while (total > MAX_REV_HISTORY_LENGTH_IN_CHARS && parts.length > 0) {
          total -= parts[0].length + 1;
          parts = parts.slice(1);
        }
        if (total <= MAX_REV_HISTORY_LENGTH_IN_CHARS) ann[REVISION_HISTORY_ANNOTATION] = [...parts, oldRevision].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/** A condition stamped with now for both times (deploymentutil.NewDeploymentCondition). */
export function newCondition(type: string, status: string, reason: string, message: string, now: number): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** The status's condition of the given type. */
export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * deploymentutil.SetDeploymentCondition: a no-op when status and reason are unchanged; keeps the
 * transition time when only the reason or message changes; replaces any condition of the type.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

/** deploymentutil.RemoveDeploymentCondition. */
export function removeCondition(status: DeploymentStatus, type: string): void {
  if (status.conditions) status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** deploymentutil.HasProgressDeadline: set and not MaxInt32. */
export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== 2147483647;
}

/** deploymentutil.DeploymentComplete: every replica updated and available, generation observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = specReplicas(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r
    && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** deploymentutil.DeploymentProgressing: more updated/ready/available replicas, or fewer old ones. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld
    || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/**
 * deploymentutil.DeploymentTimedOut: the Progressing condition was last updated more than
 * progressDeadlineSeconds ago (and the rollout neither completed nor already timed out).
 */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === Reasons.NewReplicaSetAvailable) return false;
  if (c.reason === Reasons.ProgressDeadlineExceeded) return true;
  const from = parseTime(c.lastUpdateTime) ?? 0;
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < now;
}
