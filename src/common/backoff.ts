// Per-item exponential back-off with the semantics of client-go's flowcontrol.Backoff: each
// Next() doubles the item's delay up to a maximum, and an item left alone for twice the maximum
// starts over from the initial delay.
import type { Clock } from './clock.js';

interface Entry {
  backoff: number;
  lastUpdate: number;
}

/** Exponential back-off keyed per item (image pulls, container restarts, sync retries). */
export class Backoff {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param clock source of time
   * @param initialMs first delay for an item
   * @param maxMs ceiling for the delay; an entry idle for 2*maxMs has expired
   */
  constructor(private readonly clock: Clock, private readonly initialMs: number, private readonly maxMs: number) {}

  /** The item's current delay in ms (0 when it has none). */
  get(id: string): number {
    return this.entries.get(id)?.backoff ?? 0;
  }

  /**
   * Records a failure of `id` at eventTime: the first failure (or the first after expiry) gets
   * the initial delay, later ones double it up to the maximum.
   */
  next(id: string, eventTime: number = this.clock.now()): void {
    const e = this.entries.get(id);
    if (!e || this.expired(eventTime, e.lastUpdate)) {
      this.entries.set(id, { backoff: this.initialMs, lastUpdate: eventTime });
      return;
    }
    e.backoff = Math.min(e.backoff * 2, this.maxMs);
    e.lastUpdate = eventTime;
  }

  /** Whether the item is still backing off from an event at eventTime (now - eventTime < delay). */
  isInBackOffSince(id: string, eventTime: number): boolean {
    const e = this.entries.get(id);
    if (!e || this.expired(eventTime, e.lastUpdate)) return false;
    return this.clock.now() - eventTime < e.backoff;
  }

  /** Whether eventTime falls inside the delay that started at the item's last update. */
  isInBackOffSinceUpdate(id: string, eventTime: number): boolean {
    const e = this.entries.get(id);
    if (!e || this.expired(eventTime, e.lastUpdate)) return false;
    return eventTime - e.lastUpdate < e.backoff;
  }

  /** Forgets the item, so its next failure starts from the initial delay. */
  reset(id: string): void {
    this.entries.delete(id);
  }

  /** Drops every entry that has expired (idle for more than twice the maximum). */
  gc(): void {
    const now = this.clock.now();
    for (const [id, e] of this.entries) if (this.expired(now, e.lastUpdate)) this.entries.delete(id);
  }

  private expired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > this.maxMs * 2;
  }
}
