// The loop every controller runs over its work queue (upstream's processNextWorkItem +
// handleErr): take a key, sync it, forget it on success, retry it rate-limited on failure up to
// maxRetries, and always mark it done so a key re-added meanwhile is processed again.
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import type { WorkQueue } from '../common/workqueue.js';

/** What a sync may ask for besides success: a re-check after a delay (progress deadlines, minReadySeconds). */
export interface SyncResult {
  /** Add the key again after this many ms. */
  requeueAfterMs?: number;
}

/** A level-based sync of one key; throwing means "retry later". */
export type SyncFn<T> = (key: T) => Promise<SyncResult | void>;

/** Options for runWorkers. */
export interface WorkerOptions {
  /** Concurrent workers (each key is still synced by one worker at a time). Default 1. */
  workers?: number;
  /**
   * Retries before a failing key is dropped until its next add (the deployment controller uses
   * 15; the replicaset controller retries forever). Default: forever.
   */
  maxRetries?: number;
  /** Where failures are logged. */
  log?: Logger;
}

/**
 * Runs `workers` loops over the queue until it is shut down and drained; resolves when all have
 * stopped. Called by each controller's start-up, with its informers feeding `queue.add`.
 */
export async function runWorkers<T>(queue: WorkQueue<T>, sync: SyncFn<T>, opts: WorkerOptions = {}): Promise<void> {
  const maxRetries = opts.maxRetries ?? Infinity;
  const log = opts.log ?? silentLogger;
  const loop = async (): Promise<void> => {
    for (;;) {
      const next = await queue.get();
      if (next.shutdown) return;
      const key = next.item;
      try {
        const result = await sync(key);
        queue.forget(key);
        if (result && result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        if (queue.numRequeues(key) < maxRetries) {
          log.debug({ key, err: String(err) }, 'sync failed, retrying');
          queue.addRateLimited(key);
        } else {
          log.error({ key, err: String(err) }, 'sync failed too often, dropping key');
          queue.forget(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, loop));
}
