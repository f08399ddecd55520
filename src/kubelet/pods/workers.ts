// Pod workers: one serial worker per pod UID (upstream's pod_workers.go, in small). A worker
// syncs level-based: every trigger (an informer change, the relist noticing a container change,
// the periodic resync) runs one more sync of the newest pod object; triggers that arrive during a
// sync fold into one follow-up sync.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';

interface Worker {
  pod: Pod;
  running: Promise<void> | undefined;
  dirty: boolean;
  /** The pod was deleted from the API by this worker; no more syncs. */
  finished: boolean;
}

/** The per-pod sync function the workers run; resolves 'deleted' once the pod is gone for good. */
export type SyncFn = (pod: Pod) => Promise<'synced' | 'deleted'>;

/** Runs at most one sync per pod at a time. */
export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private stopped = false;

  /** `sync` is called for every trigger; failures are logged and retried by the next trigger. */
  constructor(private readonly syncFn: SyncFn, private readonly log: Logger) {}

  /** Records the newest pod object and syncs it. */
  update(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.stopped) return;
    let w = this.workers.get(uid);
    if (!w) this.workers.set(uid, (w = { pod, running: undefined, dirty: false, finished: false }));
    w.pod = pod;
    this.trigger(uid);
  }

  /**
   * Records the newest pod object without a sync: for updates the kubelet does not act on (its
   * own status writes coming back through the informer), as upstream's pod config ignores them.
   */
  record(pod: Pod): void {
    const w = pod.metadata?.uid ? this.workers.get(pod.metadata.uid) : undefined;
    if (w) w.pod = pod;
    else this.update(pod);
  }

  /** Syncs the pod again (relist, resync). */
  trigger(uid: string): void {
    const w = this.workers.get(uid);
    if (!w || w.finished || this.stopped) return;
    if (w.running) {
      w.dirty = true;
      return;
    }
    w.running = this.loop(uid, w);
  }

  private async loop(uid: string, w: Worker): Promise<void> {
    do {
      w.dirty = false;
      try {
        if ((await this.syncFn(w.pod)) === 'deleted') w.finished = true;
      } catch (e) {
        this.log.warn({ pod: `${w.pod.metadata?.namespace}/${w.pod.metadata?.name}`, err: (e as Error).message }, 'pod sync failed');
      }
    } while (w.dirty && !w.finished && !this.stopped);
    w.running = undefined;
  }

  /** Drops the worker once its pod is gone from the API; resolves when its last sync ended. */
  async remove(uid: string): Promise<void> {
    const w = this.workers.get(uid);
    if (!w) return;
    w.finished = true;
    this.workers.delete(uid);
    await w.running;
  }

  /** UIDs with a worker. */
  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** True while a worker for `uid` exists (its runtime objects are not orphans). */
  has(uid: string): boolean {
    return this.workers.has(uid);
  }

  /** Stops taking triggers and waits for running syncs. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.workers.values()].map((w) => w.running));
  }
}
