// Ownership claims (k8s.io/kubernetes/pkg/controller/controller_ref_manager.go ClaimObject):
// which objects a controller owns, which orphans matching its selector it adopts, and which of
// its own it releases when they stop matching. Deployments claim ReplicaSets; ReplicaSets claim pods.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { labelSelectorFromObject, type LabelSelectorObject } from '../api/selectors.js';
import { controllerOf } from './objects.js';

/** The result of claiming: what is owned now, and the writes that make it so. */
export interface Claim<T> {
  /** Objects the controller owns after the claim (already owned and matching, plus adopted). */
  owned: T[];
  /** Orphans to adopt: patch a controller ownerReference onto them. */
  adopt: T[];
  /** Owned objects that no longer match: remove the controller's ownerReference. */
  release: T[];
}

/**
 * Claims `objects` for `owner` by selector. An object controlled by someone else is left alone;
 * an owner being deleted neither adopts nor releases; an orphan being deleted is not adopted.
 * A nil selector matches nothing; an empty one would match everything, which upstream's
 * validation forbids for workload controllers.
 */
export function claimObjects<T extends { metadata?: ObjectMeta }>(owner: { metadata?: ObjectMeta }, selector: LabelSelectorObject | undefined, objects: T[]): Claim<T> {
  const sel = labelSelectorFromObject(selector);
  const ownerUid = owner.metadata?.uid;
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  const out: Claim<T> = { owned: [], adopt: [], release: [] };
  for (const obj of objects) {
    const matches = sel.matches(obj.metadata?.labels ?? {});
    const ref = controllerOf(obj.metadata);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches || ownerDeleting) out.owned.push(obj);
      else out.release.push(obj);
      continue;
    }
    if (ownerDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
    out.adopt.push(obj);
    out.owned.push(obj);
  }
  return out;
}
