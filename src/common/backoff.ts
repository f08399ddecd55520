// Per-key exponential back-off with client-go's semantics (k8s.io/client-go/util/flowcontrol
// backoff.go): each next() doubles the key's delay up to a maximum and stamps lastUpdate with the
// clock's now; a key idle for more than twice the maximum starts over. No jitter: the kubelet
// builds its image-pull and CrashLoopBackOff back-offs without it.

/** Milliseconds since the epoch; injected so tests control time. */
export type NowFn = () => number;

interface Entry { backoffMs: number; lastUpdate: number }

/** Options of a Backoff. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  now?: NowFn;
  /**
   * Whether an entry last updated at `lastUpdate` has expired at `eventTime`; default
   * `eventTime - lastUpdate > 2 * maxMs` (client-go's hasExpired).
   */
  hasExpired?: (eventTime: number, lastUpdate: number, maxMs: number) => boolean;
}

/** A table of per-key back-offs. */
export class Backoff {
  private readonly entries = new Map<string, Entry>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  /** The clock the back-off reads. */
  readonly now: NowFn;
  private readonly expired: (eventTime: number, lastUpdate: number, maxMs: number) => boolean;

  /** An empty table. */
  constructor(opts: BackoffOptions) {
    this.initialMs = opts.initialMs;
    this.maxMs = opts.maxMs;
    this.now = opts.now ?? Date.now;
    this.expired = opts.hasExpired ?? ((e, l, m) => e - l > 2 * m);
  }

  /** The current back-off of `id` in ms, 0 when it has none. */
  get(id: string): number {
    return this.entries.get(id)?.backoffMs ?? 0;
  }

  /**
   * Records a failure at `eventTime` (default now): the first one, or one after expiry, starts
   * at the initial delay; later ones double it up to the maximum. lastUpdate becomes now.
   */
  next(id: string, eventTime: number = this.now()): void {
    const e = this.entries.get(id);
    if (!e || this.expired(eventTime, e.lastUpdate, this.maxMs)) {
      this.entries.set(id, { backoffMs: this.initialMs, lastUpdate: this.now() });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdate = this.now();
  }

  /** True while `eventTime - lastUpdate` is shorter than the back-off (image pulls ask this). */
  isInBackOffSinceUpdate(id: string, eventTime: number = this.now()): boolean {
    const e = this.entries.get(id);
    if (!e || this.expired(eventTime, e.lastUpdate, this.maxMs)) return false;
    return eventTime - e.lastUpdate < e.backoffMs;
  }

  /** True while `now - eventTime` is shorter than the back-off (crash loops ask this with finishedAt). */
  isInBackOffSince(id: string, eventTime: number): boolean {
    const e = this.entries.get(id);
    if (!e || this.expired(eventTime, e.lastUpdate, this.maxMs)) return false;
    return this.now() - eventTime < e.backoffMs;
  }

  /** Forgets `id`. */
  reset(id: string): void {
    this.entries.delete(id);
  }

  /** Drops every entry that has expired by now. */
  gc(): void {
    const t = this.now();
    for (const [id, e] of this.entries) if (this.expired(t, e.lastUpdate, this.maxMs)) this.entries.delete(id);
  }

  /** Number of entries (for tests of gc). */
  get size(): number {
    return this.entries.size;
  }
}
