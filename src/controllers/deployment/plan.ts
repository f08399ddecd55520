// One pass of the deployment controller's sync, as a pure function: given the Deployment, the
// ReplicaSets it owns, and their pods, return the writes upstream's syncDeployment would make in
// that pass (k8s.io/kubernetes/pkg/controller/deployment: deployment_controller.go, sync.go,
// rolling.go, recreate.go, progress.go). Like upstream, a rolling pass stops after the first
// step that scales something; the next pass sees the result and continues (level-based).
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { canonicalJson, clone, controllerOf, newControllerRef, rfc3339, type ControllerEvent } from '../objects.js';
import {
  POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, Reasons, activeReplicaSets, actualReplicaCount, availableReplicaCount,
  byCreationTimestamp, byRevision, bySizeNewer, bySizeOlder, computeHash, deploymentComplete, deploymentProgressing,
  deploymentTimedOut, equalIgnoreHash, getCondition, hasProgressDeadline, intAnnotation, isRollingUpdate, maxSurge,
  maxUnavailable, newCondition, readyReplicaCount, removeCondition, replicaCount, replicasAnnotationsNeedUpdate,
  revisionOf, scaledValue, setCondition, setNewReplicaSetAnnotations, setReplicasAnnotations, specReplicas,
  DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION,
} from './util.js';

/** The writes one sync pass makes. Apply them in order: creates, updates, deletes, then the Deployment. */
export interface DeploymentPlan {
  /** New ReplicaSets to create (at most one: the new template's). */
  creates: ReplicaSet[];
  /** ReplicaSets to update (full objects: spec.replicas, annotations, minReadySeconds changed). */
  updates: ReplicaSet[];
  /** Names of old ReplicaSets to delete (revision history cleanup). */
  deletes: string[];
  /** The Deployment's annotations after the pass (the revision annotation is synced here). */
  annotations: Record<string, string>;
  /** Whether annotations differ from the input Deployment's. */
  annotationsChanged: boolean;
  /** The Deployment's status after the pass. */
  status: DeploymentStatus;
  /** Whether status differs from the input Deployment's (write it through the status subresource). */
  statusChanged: boolean;
  /** Events to record on the Deployment (`ScalingReplicaSet`). */
  events: ControllerEvent[];
  /** When set, re-run the sync after this many ms even if nothing changes (progress deadline check). */
  requeueAfterMs?: number;
}

interface Pass {
  d: Deployment;
  rss: ReplicaSet[];
  pods: Pod[];
  now: number;
  status: DeploymentStatus;
  annotations: Record<string, string>;
  created: Set<string>;
  updated: Set<string>;
  deletes: string[];
  events: ControllerEvent[];
}

const nameOf = (rs: ReplicaSet): string => rs.metadata?.name ?? '';

function markUpdated(p: Pass, rs: ReplicaSet): void {
  if (!p.created.has(nameOf(rs))) p.updated.add(nameOf(rs));
}

/** Scales rs and records upstream's event (sync.go scaleReplicaSet). Returns whether the size changed. */
function scaleReplicaSet(p: Pass, rs: ReplicaSet, newScale: number, operation: string): boolean {
  const desired = specReplicas(p.d);
  const max = desired + maxSurge(p.d);
  const oldScale = specReplicas(rs);
  const sizeNeedsUpdate = oldScale !== newScale;
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.spec ??= { selector: {}, replicas: 0 };
  rs.spec.replicas = newScale;
  setReplicasAnnotations(rs, desired, max);
  markUpdated(p, rs);
  if (sizeNeedsUpdate) {
    p.events.push({
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled ${operation} replica set ${nameOf(rs)} to ${newScale} from ${oldScale}`,
    });
  }
  return sizeNeedsUpdate;
}

/** sync.go scaleReplicaSetAndRecordEvent. */
function scaleAndRecord(p: Pass, rs: ReplicaSet, newScale: number): boolean {
  const cur = specReplicas(rs);
  if (cur === newScale) return false;
  return scaleReplicaSet(p, rs, newScale, cur < newScale ? 'up' : 'down');
}

/** deploymentutil.NewRSNewReplicas. */
function newRSNewReplicas(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet): number {
  const desired = specReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  const current = replicaCount(all);
  const maxTotal = desired + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/**
 * sync.go getAllReplicaSetsAndSyncRevision + getNewReplicaSet: finds the ReplicaSet whose
 * template matches (oldest first), syncs revisions, and creates it when asked.
 */
function newAndOld(p: Pass, create: boolean): { newRS?: ReplicaSet; old: ReplicaSet[] } {
  const sorted = [...p.rss].sort(byCreationTimestamp);
  const existing = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, p.d.spec?.template));
  const old = p.rss.filter((rs) => rs !== existing);
  const newRevision = Math.max(0, ...old.map(revisionOf)) + 1;

  if (existing) {
    const annotationsUpdated = setNewReplicaSetAnnotations(p.d, existing, newRevision, true);
    const minReady = p.d.spec?.minReadySeconds ?? 0;
    if (annotationsUpdated || (existing.spec?.minReadySeconds ?? 0) !== minReady) {
      existing.spec ??= { selector: {} };
      existing.spec.minReadySeconds = minReady;
      markUpdated(p, existing);
      return { newRS: existing, old };
    }
    if (p.annotations[REVISION_ANNOTATION] !== String(newRevision)) p.annotations[REVISION_ANNOTATION] = String(newRevision);
    if (hasProgressDeadline(p.d) && !getCondition(p.status, 'Progressing')) {
      setCondition(p.status, newCondition('Progressing', 'True', Reasons.FoundNewReplicaSet, `Found new replica set "${nameOf(existing)}"`, p.now));
    }
    return { newRS: existing, old };
  }
  if (!create) return { old };

  const d = p.d;
  const template = clone(d.spec?.template ?? {});
  const hash = computeHash(template, d.status?.collisionCount);
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  template.metadata = { ...(template.metadata ?? {}), labels };
  const selector = clone(d.spec?.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const name = `${d.metadata?.name}-${hash}`;

  const clash = p.rss.find((rs) => nameOf(rs) === name);
  if (clash) {
    // controller.go: a ReplicaSet of this name with another template is a hash collision; bump
    // collisionCount so the next pass computes a different name.
    p.status.collisionCount = (p.status.collisionCount ?? 0) + 1;
    return { old };
  }
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: d.metadata?.namespace,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      labels,
      creationTimestamp: rfc3339(p.now),
    },
    spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
  };
  const count = newRSNewReplicas(d, [...old, rs], rs);
  (rs.spec as NonNullable<ReplicaSet['spec']>).replicas = count;
  setNewReplicaSetAnnotations(d, rs, newRevision, false);
  p.rss.push(rs);
  p.created.add(name);
  if (count > 0) p.events.push({ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${name} from 0 to ${count}` });
  p.annotations[REVISION_ANNOTATION] = String(newRevision);
  if (hasProgressDeadline(d)) {
    setCondition(p.status, newCondition('Progressing', 'True', Reasons.NewReplicaSetCreated, `Created new replica set "${name}"`, p.now));
  }
  return { newRS: rs, old };
}

/** deployment_controller.go checkPausedConditions. */
function checkPausedConditions(p: Pass): void {
  if (!hasProgressDeadline(p.d)) return;
  const cond = getCondition(p.status, 'Progressing');
  if (cond?.reason === Reasons.ProgressDeadlineExceeded) return;
  const pausedCondExists = cond?.reason === Reasons.DeploymentPaused;
  if (p.d.spec?.paused && !pausedCondExists) {
    setCondition(p.status, newCondition('Progressing', 'Unknown', Reasons.DeploymentPaused, 'Deployment is paused', p.now));
  } else if (!p.d.spec?.paused && pausedCondExists) {
    setCondition(p.status, newCondition('Progressing', 'Unknown', Reasons.DeploymentResumed, 'Deployment is resumed', p.now));
  }
}

/** sync.go isScalingEvent: an active ReplicaSet's desired-replicas annotation disagrees with spec.replicas. */
function isScalingEvent(p: Pass): boolean {
  const { newRS, old } = newAndOld(p, false);
  const all = newRS ? [...old, newRS] : old;
  return activeReplicaSets(all).some((rs) => {
    const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
    return desired !== undefined && desired !== specReplicas(p.d);
  });
}

/** deploymentutil.FindActiveOrLatest. */
function activeOrLatest(newRS: ReplicaSet | undefined, old: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && old.length === 0) return undefined;
  const oldSorted = [...old].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets(newRS ? [...oldSorted, newRS] : oldSorted);
  if (active.length === 0) return newRS ?? oldSorted[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** deploymentutil.getReplicaSetFraction with upstream's rounding (math.Round). */
function replicaSetFraction(d: Deployment, rs: ReplicaSet): number {
  if (specReplicas(d) === 0) return -specReplicas(rs);
  const deploymentMax = specReplicas(d) + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (before === undefined || before === 0) {
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  const size = (specReplicas(rs) * deploymentMax) / before;
  return Math.sign(size) * Math.round(Math.abs(size)) - specReplicas(rs);
}

/** sync.go scale: proportional scaling when spec.replicas changes mid-rollout. */
function scale(p: Pass, newRS: ReplicaSet | undefined, old: ReplicaSet[]): void {
  const d = p.d;
  const only = activeOrLatest(newRS, old);
  if (only) {
    if (specReplicas(only) !== specReplicas(d)) scaleAndRecord(p, only, specReplicas(d));
    return;
  }
  if (newRS && intAnnotation(newRS, DESIRED_REPLICAS_ANNOTATION) === specReplicas(d) && specReplicas(newRS) === specReplicas(d)
    && (newRS.status?.availableReplicas ?? 0) === specReplicas(d)) {
    for (const rs of activeReplicaSets(old)) scaleAndRecord(p, rs, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets(newRS ? [...old, newRS] : old);
  const allowed = specReplicas(d) > 0 ? specReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(all);
  let operation = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<ReplicaSet, number>();
  for (const rs of all) {
    if (toAdd === 0 || specReplicas(rs) === 0 || toAdd === added) {
      sizes.set(rs, specReplicas(rs));
      continue;
    }
    const fraction = replicaSetFraction(d, rs);
    const allowedLeft = toAdd - added;
    const proportion = toAdd > 0 ? Math.min(fraction, allowedLeft) : Math.max(fraction, allowedLeft);
    sizes.set(rs, specReplicas(rs) + proportion);
    added += proportion;
  }
  all.forEach((rs, i) => {
    if (i === 0 && toAdd !== 0) sizes.set(rs, Math.max(0, (sizes.get(rs) ?? 0) + toAdd - added));
    scaleReplicaSet(p, rs, sizes.get(rs) ?? 0, operation);
  });
}

/** sync.go cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit. */
function cleanup(p: Pass, old: ReplicaSet[]): void {
  const limit = p.d.spec?.revisionHistoryLimit ?? 10;
  const cleanable = old.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0
      || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    p.deletes.push(nameOf(rs));
  }
}

/** sync.go calculateStatus. */
function calculateStatus(p: Pass, all: ReplicaSet[], newRS: ReplicaSet | undefined): DeploymentStatus {
  const available = availableReplicaCount(all);
  const total = replicaCount(all);
  const status: DeploymentStatus = {
    observedGeneration: p.d.metadata?.generation,
    replicas: actualReplicaCount(all),
    updatedReplicas: newRS ? actualReplicaCount([newRS]) : 0,
    readyReplicas: readyReplicaCount(all),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    conditions: (p.status.conditions ?? []).map((c) => ({ ...c })),
  };
  if (p.status.collisionCount !== undefined) status.collisionCount = p.status.collisionCount;
  if (available >= specReplicas(p.d) - maxUnavailable(p.d)) {
    setCondition(status, newCondition('Available', 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', p.now));
  } else {
    setCondition(status, newCondition('Available', 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', p.now));
  }
  return status;
}

/** sync.go syncDeploymentStatus: status without progress estimation (paused / scaling / deleting). */
function syncStatus(p: Pass, all: ReplicaSet[], newRS: ReplicaSet | undefined): void {
  p.status = calculateStatus(p, all, newRS);
}

/** progress.go syncRolloutStatus: status plus the Progressing condition. */
function syncRolloutStatus(p: Pass, all: ReplicaSet[], newRS: ReplicaSet | undefined): number | undefined {
  const d = p.d;
  const s = calculateStatus(p, all, newRS);
  const current = getCondition(s, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && current?.reason === Reasons.NewReplicaSetAvailable;
  const subject = newRS ? `ReplicaSet "${nameOf(newRS)}"` : `Deployment "${d.metadata?.name}"`;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition('Progressing', 'True', Reasons.NewReplicaSetAvailable, `${subject} has successfully progressed.`, p.now));
    } else if (deploymentProgressing(d, s)) {
      const cond = newCondition('Progressing', 'True', Reasons.ReplicaSetUpdated, `${subject} is progressing.`, p.now);
      if (current) {
        if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(s, 'Progressing');
      }
      setCondition(s, cond);
    } else if (deploymentTimedOut(d, s, p.now)) {
      setCondition(s, newCondition('Progressing', 'False', Reasons.ProgressDeadlineExceeded, `${subject} has timed out progressing.`, p.now));
    }
  }
  // progress.go getReplicaFailures: the new ReplicaSet's failure first, then the old ones'.
  const ordered = newRS ? [newRS, ...all.filter((rs) => rs !== newRS)] : all;
  const failure = ordered.map((rs) => rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure')).find((c) => c);
  if (failure) {
    setCondition(s, {
      type: 'ReplicaFailure', status: failure.status, reason: failure.reason, message: failure.message,
      lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime,
    });
  } else {
    removeCondition(s, 'ReplicaFailure');
  }
  p.status = s;
  // progress.go requeueStuckDeployment: check again one second after the deadline would pass
  // (0: it has as good as passed, re-check now). Upstream relies on the status write's watch
  // event when the status changed; returning it every pass keeps the caller simple.
  const cond = getCondition(s, 'Progressing');
  if (!hasProgressDeadline(d) || !cond || cond.reason === Reasons.ProgressDeadlineExceeded) return undefined;
  if (deploymentComplete(d, s)) return undefined;
  const after = Date.parse(cond.lastUpdateTime ?? '') + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - p.now;
  return after < 1000 ? 0 : after + 1000;
}

/** rolling.go reconcileNewReplicaSet. */
function reconcileNew(p: Pass, all: ReplicaSet[], newRS: ReplicaSet): boolean {
  const desired = specReplicas(p.d);
  if (specReplicas(newRS) === desired) return false;
  if (specReplicas(newRS) > desired) return scaleAndRecord(p, newRS, desired);
  return scaleAndRecord(p, newRS, newRSNewReplicas(p.d, all, newRS));
}

/** rolling.go cleanupUnhealthyReplicas: scale old ReplicaSets down by their unavailable pods first. */
function cleanupUnhealthy(p: Pass, old: ReplicaSet[], maxCleanup: number): number {
  let total = 0;
  for (const rs of [...old].sort(byCreationTimestamp)) {
    if (total >= maxCleanup) break;
    const spec = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (spec === 0 || spec === available) continue;
    const down = Math.min(maxCleanup - total, spec - available);
    scaleAndRecord(p, rs, spec - down);
    total += down;
  }
  return total;
}

/** rolling.go scaleDownOldReplicaSetsForRollingUpdate. */
function scaleDownOldForRolling(p: Pass, all: ReplicaSet[], old: ReplicaSet[]): number {
  const minAvailable = specReplicas(p.d) - maxUnavailable(p.d);
  const available = availableReplicaCount(all);
  if (available <= minAvailable) return 0;
  const target = available - minAvailable;
  let total = 0;
  for (const rs of [...old].sort(byCreationTimestamp)) {
    if (total >= target) break;
    if (specReplicas(rs) === 0) continue;
    const down = Math.min(specReplicas(rs), target - total);
    scaleAndRecord(p, rs, specReplicas(rs) - down);
    total += down;
  }
  return total;
}

/** rolling.go reconcileOldReplicaSets. */
function reconcileOld(p: Pass, all: ReplicaSet[], old: ReplicaSet[], newRS: ReplicaSet): boolean {
  if (replicaCount(old) === 0) return false;
  const minAvailable = specReplicas(p.d) - maxUnavailable(p.d);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = replicaCount(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = cleanupUnhealthy(p, old, maxScaledDown);
  const scaledDown = scaleDownOldForRolling(p, [...old, newRS], old);
  return cleaned + scaledDown > 0;
}

/** recreate.go oldPodsRunning. */
function oldPodsRunning(p: Pass, newRS: ReplicaSet | undefined, old: ReplicaSet[]): boolean {
  if (actualReplicaCount(old) > 0) return true;
  const oldUids = new Set(old.map((rs) => rs.metadata?.uid).filter((u) => u));
  return p.pods.some((pod) => {
    const owner = controllerOf(pod.metadata)?.uid;
    if (!owner || !oldUids.has(owner) || owner === newRS?.metadata?.uid) return false;
    const phase = pod.status?.phase;
    return phase !== 'Failed' && phase !== 'Succeeded';
  });
}

function rolloutRolling(p: Pass): number | undefined {
  const { newRS, old } = newAndOld(p, true);
  const all = newRS ? [...old, newRS] : old;
  if (!newRS) return syncRolloutStatus(p, all, newRS);
  if (reconcileNew(p, all, newRS)) return syncRolloutStatus(p, all, newRS);
  if (reconcileOld(p, all, activeReplicaSets(old), newRS)) return syncRolloutStatus(p, all, newRS);
  if (deploymentComplete(p.d, p.d.status ?? {})) cleanup(p, old);
  return syncRolloutStatus(p, all, newRS);
}

function rolloutRecreate(p: Pass): number | undefined {
  let { newRS, old } = newAndOld(p, false);
  let all = newRS ? [...old, newRS] : old;
  let scaledDown = false;
  for (const rs of activeReplicaSets(old)) if (scaleAndRecord(p, rs, 0)) scaledDown = true;
  if (scaledDown) return syncRolloutStatus(p, all, newRS);
  if (oldPodsRunning(p, newRS, old)) return syncRolloutStatus(p, all, newRS);
  if (!newRS) {
    ({ newRS, old } = newAndOld(p, true));
    all = newRS ? [...old, newRS] : old;
  }
  if (newRS) scaleAndRecord(p, newRS, specReplicas(p.d));
  if (deploymentComplete(p.d, p.d.status ?? {})) cleanup(p, old);
  return syncRolloutStatus(p, all, newRS);
}

function syncPaused(p: Pass): void {
  const { newRS, old } = newAndOld(p, false);
  scale(p, newRS, old);
  if (p.d.spec?.paused) cleanup(p, old);
  syncStatus(p, newRS ? [...old, newRS] : old, newRS);
}

/**
 * One sync of a Deployment (deployment_controller.go syncDeployment). `replicaSets` are the
 * ReplicaSets the Deployment controls; `pods` are their pods (Recreate waits for old ones to go).
 * `now` is ms since the epoch. The inputs are not modified.
 */
export function planDeployment(deploy: Deployment, replicaSets: ReplicaSet[], pods: Pod[], now: number): DeploymentPlan {
  const p: Pass = {
    d: clone(deploy),
    rss: replicaSets.map(clone),
    pods,
    now,
    status: clone(deploy.status ?? {}),
    annotations: { ...(deploy.metadata?.annotations ?? {}) },
    created: new Set(),
    updated: new Set(),
    deletes: [],
    events: [],
  };
  let requeueAfterMs: number | undefined;
  if (p.d.metadata?.deletionTimestamp) {
    const { newRS, old } = newAndOld(p, false);
    syncStatus(p, newRS ? [...old, newRS] : old, newRS);
  } else {
    checkPausedConditions(p);
    if (p.d.spec?.paused) syncPaused(p);
    else if (isScalingEvent(p)) syncPaused(p);
    else if (isRollingUpdate(p.d)) requeueAfterMs = rolloutRolling(p);
    else requeueAfterMs = rolloutRecreate(p);
  }
  const byName = new Map(p.rss.map((rs) => [nameOf(rs), rs]));
  const status = p.status;
  const statusChanged = canonicalJson(status) !== canonicalJson(deploy.status ?? {});
  const annotationsChanged = canonicalJson(p.annotations) !== canonicalJson(deploy.metadata?.annotations ?? {});
  return {
    creates: [...p.created].map((n) => byName.get(n) as ReplicaSet),
    updates: [...p.updated].map((n) => byName.get(n) as ReplicaSet),
    deletes: p.deletes,
    annotations: p.annotations,
    annotationsChanged,
    status,
    statusChanged,
    events: p.events,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}


/**
 * sync.go getNewReplicaSet's AlreadyExists branch, for the caller whose create of
 * `plan.creates[0]` failed because `existing` already has that name: adopt it when this
 * Deployment controls it with an equal template, otherwise it is a hash collision and the status
 * to write carries collisionCount + 1 (the next pass then computes another name).
 */
export function resolveCreateConflict(deploy: Deployment, existing: ReplicaSet): { adopt: true } | { adopt: false; status: DeploymentStatus } {
  const owner = controllerOf(existing.metadata);
  if (owner && owner.uid === deploy.metadata?.uid && equalIgnoreHash(existing.spec?.template, deploy.spec?.template)) return { adopt: true };
  const status = clone(deploy.status ?? {});
  status.collisionCount = (status.collisionCount ?? 0) + 1;
  return { adopt: false, status };
}
