// The namespace controller's decisions while a namespace is Terminating
// (k8s.io/kubernetes/pkg/controller/namespace/deletion: namespaced_resources_deleter.go,
// status_condition_utils.go): delete everything in it, report what remains in the namespace's
// conditions with upstream's reasons and messages, and drop the `kubernetes` finalizer once it is
// empty so the API server can remove the namespace itself.
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../objects.js';

/** The finalizer in spec.finalizers that this controller owns. */
export const KUBERNETES_FINALIZER = 'kubernetes';

/** The condition types the controller maintains, in upstream's order. */
const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

const OK: Record<string, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** The objects of one resource type found in the namespace. */
export interface NamespaceContent {
  /** API group ('' for the core group). */
  group: string;
  /** Plural resource name, e.g. `pods`. */
  resource: string;
  /** The objects still present. */
  items: Array<{ name: string; finalizers?: string[]; deletionTimestamp?: string }>;
}

/** What one pass decides for a Terminating namespace. */
export interface NamespaceDeletionPlan {
  /** Objects to delete (background propagation); those already being deleted are not repeated. */
  deletes: Array<{ group: string; resource: string; name: string }>;
  /** The namespace's conditions after the pass. */
  conditions: NamespaceCondition[];
  /** Whether conditions differ from the namespace's. */
  conditionsChanged: boolean;
  /** Remove KUBERNETES_FINALIZER from spec.finalizers (nothing remains). */
  finalize: boolean;
}

/**
 * One pass over a Terminating namespace. `content` lists what is still in it; `deleteErrors`
 * are failures of earlier delete calls (they become NamespaceDeletionContentFailure). A namespace
 * that is not being deleted, or no longer has the finalizer, gets an empty plan.
 */
export function planNamespaceDeletion(ns: Namespace, content: NamespaceContent[], now: number, deleteErrors: string[] = []): NamespaceDeletionPlan {
  const old = ns.status?.conditions ?? [];
  const empty: NamespaceDeletionPlan = { deletes: [], conditions: old, conditionsChanged: false, finalize: false };
  if (!ns.metadata?.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return empty;

  const deletes: NamespaceDeletionPlan['deletes'] = [];
  const remaining: string[] = [];
  const byFinalizer = new Map<string, number>();
  for (const c of content) {
    if (c.items.length === 0) continue;
    remaining.push(`${c.resource}.${c.group} has ${c.items.length} resource instances`);
    for (const item of c.items) {
      if (!item.deletionTimestamp) deletes.push({ group: c.group, resource: c.resource, name: item.name });
      for (const f of item.finalizers ?? []) byFinalizer.set(f, (byFinalizer.get(f) ?? 0) + 1);
    }
  }
  const t = rfc3339(now);
  const failing = new Map<string, { reason: string; message: string }>();
  if (remaining.length) failing.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.sort().join(', ')}` });
  if (byFinalizer.size) {
    const parts = [...byFinalizer.entries()].map(([f, n]) => `${f} in ${n} resource instances`).sort();
    failing.set('NamespaceFinalizersRemaining', { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${parts.join(', ')}` });
  }
  if (deleteErrors.length) {
    const msgs = [...deleteErrors].sort();
    failing.set('NamespaceDeletionContentFailure', { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}` });
  }

  // status_condition_utils.go updateConditions: every maintained type is present, True with the
  // failure or False with the "ok" wording; the transition time moves only with the status.
  const conditions = old.map((c) => ({ ...c }));
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const f = failing.get(type);
    const want = { type, status: f ? 'True' : 'False', reason: f ? f.reason : OK[type].reason, message: f ? f.message : OK[type].message };
    const cur = conditions.find((c) => c.type === type);
    if (!cur) {
      conditions.push({ ...want, lastTransitionTime: t });
      changed = true;
    } else if (cur.status !== want.status || cur.reason !== want.reason || cur.message !== want.message) {
      if (cur.status !== want.status) cur.lastTransitionTime = t;
      Object.assign(cur, want);
      changed = true;
    }
  }
  return { deletes, conditions, conditionsChanged: changed, finalize: remaining.length === 0 && deleteErrors.length === 0 };
}
