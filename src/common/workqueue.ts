// A rate-limited, de-duplicating work queue with client-go workqueue semantics:
// - an item is queued at most once however often it is added (the "dirty" set);
// - an item handed out by get() is not handed out again until done() is called; adds that
//   arrive while it is processing are remembered and queue it again on done();
// - addAfter() delays an add (the earliest pending time wins), addRateLimited() delays by the
//   rate limiter's verdict, forget() clears the item's failure history;
// - shutDown() wakes every waiting get() with shutdown=true and ignores later adds.
import type { Clock, TimerHandle } from './clock.js';
import { RealClock } from './clock.js';

/** Decides how long an item waits before it is re-queued after a failure. */
export interface RateLimiter<T> {
  /** The delay in ms for the item's next retry; records the retry. */
  when(item: T): number;
  /** Clears the item's failure history. */
  forget(item: T): void;
  /** How many times the item has been retried since it was last forgotten. */
  numRequeues(item: T): number;
}

/** Per-item exponential delay: base * 2^failures, capped (client-go ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  /** @param baseMs first delay @param maxMs ceiling */
  constructor(private readonly baseMs: number, private readonly maxMs: number) {}

  /** base * 2^(previous failures), at most max. */
  when(item: T): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  /** Resets the item's failure count. */
  forget(item: T): void {
    this.failures.delete(item);
  }

  /** Failures recorded for the item. */
  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/** An overall token bucket (client-go BucketRateLimiter over golang.org/x/time/rate): qps with a burst. */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  /** @param qps refill rate per second @param burst bucket size (and initial fill) */
  constructor(private readonly clock: Clock, private readonly qps: number, private readonly burst: number) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Reserves one token; returns how long until that token exists (0 when one is available). */
  when(_item: T): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** The bucket has no per-item state. */
  forget(_item: T): void {}

  /** The bucket has no per-item state. */
  numRequeues(_item: T): number {
    return 0;
  }
}

/** The largest delay of several limiters (client-go MaxOfRateLimiter). */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];

  /** Combines the given limiters. */
  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  /** Asks every limiter (each records the retry) and returns the longest delay. */
  when(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  /** Forgets the item in every limiter. */
  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  /** The largest retry count any limiter reports. */
  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/**
 * client-go DefaultControllerRateLimiter: per-item 5ms doubling up to 1000s, and overall
 * 10 qps with a burst of 100, whichever is slower.
 */
export function defaultControllerRateLimiter<T>(clock: Clock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialFailureRateLimiter<T>(5, 1000 * 1000),
    new BucketRateLimiter<T>(clock, 10, 100),
  );
}

/** What get() resolves to: an item to process, or shutdown=true when the queue is shut down and empty. */
export type GetResult<T> = { item: T; shutdown: false } | { item: undefined; shutdown: true };

/** Options for createWorkQueue. */
export interface WorkQueueOptions<T> {
  /** Source of time for delays; the wall clock by default. */
  clock?: Clock;
  /** Limiter for addRateLimited; defaultControllerRateLimiter by default. */
  rateLimiter?: RateLimiter<T>;
}

/** A rate-limited, de-duplicating work queue. Keys are usually `namespace/name` strings. */
export class WorkQueue<T> {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<T>;
  private readonly queue: T[] = [];
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private readonly waiting = new Map<T, { at: number; timer: TimerHandle }>();
  private readonly getters: Array<(r: GetResult<T>) => void> = [];
  private shuttingDown = false;
  private drainWaiters: Array<() => void> = [];

  /** A queue using the given clock and rate limiter (see WorkQueueOptions for defaults). */
  constructor(opts: WorkQueueOptions<T> = {}) {
    this.clock = opts.clock ?? new RealClock();
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
  }

  /** Marks the item as needing processing; a no-op if it is already queued or after shutdown. */
  add(item: T): void {
    if (this.shuttingDown || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.wake();
  }

  /** Adds the item after ms; if it is already waiting, the earlier time wins. */
  addAfter(item: T, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.waiting.get(item);
    if (existing) {
      if (existing.at <= at) return;
      existing.timer.cancel();
    }
    const timer = this.clock.setTimer(() => {
      this.waiting.delete(item);
      this.add(item);
    }, ms);
    this.waiting.set(item, { at, timer });
  }

  /** Adds the item after the rate limiter's delay (a retry after a failed sync). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.limiter.when(item));
  }

  /** Clears the item's retry history (call after a successful sync). */
  forget(item: T): void {
    this.limiter.forget(item);
  }

  /** How many times the item has been retried through addRateLimited since its last forget. */
  numRequeues(item: T): number {
    return this.limiter.numRequeues(item);
  }

  /**
   * Resolves with the next item, waiting until one is queued. The item stays "processing" until
   * done() is called. Resolves with shutdown=true once the queue is shut down and drained.
   */
  get(): Promise<GetResult<T>> {
    const r = this.tryGet();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the item as processed; if it was added meanwhile, it is queued again. */
  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item)) {
      this.queue.push(item);
      this.wake();
    }
    if (this.processing.size === 0 && this.drainWaiters.length > 0) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }

  /** Number of items ready to be handed out (not counting processing or delayed ones). */
  len(): number {
    return this.queue.length;
  }

  /** Stops accepting adds, cancels delayed adds and wakes every waiting get(). */
  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    this.wake();
  }

  /**
   * Shuts down, then resolves once every item handed out has been marked done (client-go
   * ShutDownWithDrain), so a stopping controller finishes its in-flight syncs.
   */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Whether shutDown() has been called. */
  shuttingDownNow(): boolean {
    return this.shuttingDown;
  }

  private tryGet(): GetResult<T> | undefined {
    if (this.queue.length > 0) {
      const item = this.queue.shift() as T;
      this.processing.add(item);
      this.dirty.delete(item);
      return { item, shutdown: false };
    }
    if (this.shuttingDown) return { item: undefined, shutdown: true };
    return undefined;
  }

  private wake(): void {
    while (this.getters.length > 0) {
      const r = this.tryGet();
      if (!r) return;
      (this.getters.shift() as (r: GetResult<T>) => void)(r);
    }
  }
}
