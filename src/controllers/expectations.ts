// Controller expectations (k8s.io/kubernetes/pkg/controller/controller_utils.go
// ControllerExpectations + UIDTrackingControllerExpectations): after a sync issues N creates or
// deletes, the controller does not sync that key again until the informer has observed them (or
// the expectations expire), so a stale cache never makes it create the same pods twice.
import type { Clock } from '../common/clock.js';

/** Upstream's ExpectationsTimeout: expectations older than this count as satisfied. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  at: number;
  deleting: Set<string>;
}

/** Outstanding creates/deletes per controller key. */
export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  /** @param clock time source for expiry */
  constructor(private readonly clock: Clock) {}

  /** Whether the key may be synced: no expectations, all observed, or expired. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Records that `count` creates were issued for the key (replacing earlier expectations). */
  expectCreations(key: string, count: number): void {
    this.byKey.set(key, { add: count, del: 0, at: this.clock.now(), deleting: new Set() });
  }

  /** Records deletes issued for the pods with these UIDs (replacing earlier expectations). */
  expectDeletions(key: string, uids: string[]): void {
    this.byKey.set(key, { add: 0, del: uids.length, at: this.clock.now(), deleting: new Set(uids) });
  }

  /** The informer saw one of the key's creates (or a create failed and will not be seen). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  /** The informer saw the pod with this UID go (or its delete failed); untracked UIDs are ignored. */
  deletionObserved(key: string, uid: string): void {
    const e = this.byKey.get(key);
    if (e && e.deleting.delete(uid)) e.del--;
  }

  /** Forgets the key (its object was deleted). */
  delete(key: string): void {
    this.byKey.delete(key);
  }
}
