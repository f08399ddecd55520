// What every running controller is given, and the queue-plus-workers loop they share: informers
// feed keys into a rate-limited work queue; workers run a level-based sync(key) once the
// informers have synced (upstream's WaitForCacheSync before Run).
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { WorkQueue } from '../common/workqueue.js';
import type { Client } from '../client/index.js';
import { createEventRecorder, type EventRecorder } from '../client/events.js';
import type { InformerFactory } from './informers.js';
import { runWorkers, type SyncFn } from './worker.js';

/** Shared dependencies of the controllers in one process. */
export interface ControllerContext {
  client: Client;
  informers: InformerFactory;
  clock: Clock;
  log: Logger;
  /** An event recorder reporting as `component` (e.g. `deployment-controller`). */
  recorder(component: string): EventRecorder;
}

/** A started controller. */
export interface RunningController {
  /** Stops the workers after their in-flight syncs and flushes the controller's events. */
  stop(): Promise<void>;
}

/** Builds the recorder factory of a context: one recorder per component, reused. */
export function recorderFactory(client: Client, clock: Clock, log: Logger): (component: string) => EventRecorder {
  const recorders = new Map<string, EventRecorder>();
  return (component) => {
    let r = recorders.get(component);
    if (!r) recorders.set(component, (r = createEventRecorder(client, { component }, { now: () => new Date(clock.now()), log })));
    return r;
  };
}

/** A work queue with its workers, started once the context's informers synced. */
export interface QueueController {
  queue: WorkQueue<string>;
  /** Shuts the queue down and waits for in-flight syncs. */
  stop(): Promise<void>;
}

/** Starts `workers` workers running `sync` over a fresh queue after the informers synced. */
export function startQueue(ctx: ControllerContext, name: string, sync: SyncFn<string>, opts: { workers?: number; maxRetries?: number } = {}): QueueController {
  const queue = new WorkQueue<string>({ clock: ctx.clock });
  const log = ctx.log.child({ controller: name });
  let stopped = false;
  let workers: Promise<void> | undefined;
  void ctx.informers.synced().then(() => {
    if (!stopped) workers = runWorkers(queue, sync, { workers: opts.workers, maxRetries: opts.maxRetries, log });
  });
  return {
    queue,
    async stop() {
      stopped = true;
      queue.shutDown();
      await workers;
    },
  };
}

/** `namespace/name` of an object's metadata. */
export function keyOf(meta: { namespace?: string; name?: string } | undefined): string {
  return meta?.namespace ? `${meta.namespace}/${meta.name}` : String(meta?.name ?? '');
}

/** Splits a `namespace/name` key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
