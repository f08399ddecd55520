// In-process watch fan-out shared by the stores whose history lives in this process (MemoryStore,
// SqliteStore). The writer publishes each committed event synchronously, in revision order; each
// watcher either reads history from the store's log ("catch-up") or takes live events from its own
// bounded buffer ("live").
//
// Slow consumers: a live watcher's buffer holds at most `bufferSize` events. When a publish would
// overflow it, the hub drops that buffer and puts the watcher back into catch-up mode from the last
// revision it delivered: it then re-reads the missed events from the log page by page, so the
// writer never waits and memory stays bounded. The watch only ends with an error when the log no
// longer holds what the watcher needs (a compaction passed it): StoreError('Compacted'), which the
// API server turns into 410 Gone and the client answers with a re-list.
//
// Correctness rests on two facts: the writer appends to the log before it publishes, and both the
// log read and the mode switch to live happen in one synchronous step, so no event falls between.
import { StoreError, type WatchEvent } from './types.js';

/** The history a WatchHub reads during catch-up; implemented by each store over its own log. */
export interface EventLog {
  /** Events for keys starting with `prefix` with revision > `after`, oldest first, at most `limit`. */
  readAfter(prefix: string, after: number, limit: number): WatchEvent[];
  /** Revisions at or below this one are gone from the log. */
  compactedRevision(): number;
}

export interface WatchHubOptions {
  /** Live events buffered per watcher before it falls back to catch-up from the log (default 1000). */
  bufferSize?: number;
  /** Events read from the log per catch-up step (default 500). */
  pageSize?: number;
}

interface Watcher {
  prefix: string;
  live: boolean;
  /** Revision of the last event handed to the consumer (or the watch's starting point). */
  last: number;
  buffer: WatchEvent[];
  head: number;
  wake?: () => void;
  closed: boolean;
}

export function compactedError(after: number, compacted: number): StoreError {
  return new StoreError(
    'Compacted',
    `required revision has been compacted: watch from revision ${after} but the store is compacted at revision ${compacted}`,
  );
}

/** Fan-out of committed events to watchers; one per store instance. */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly bufferSize: number;
  private readonly pageSize: number;
  private closedAll = false;

  constructor(private readonly log: EventLog, opts: WatchHubOptions = {}) {
    this.bufferSize = opts.bufferSize ?? 1000;
    this.pageSize = opts.pageSize ?? 500;
  }

  /** Number of open watches (for tests and metrics). */
  get size(): number {
    return this.watchers.size;
  }

  /**
   * Hands a committed event to every live watcher whose prefix matches. Called by the store's
   * writer right after the event is in the log, in revision order. Never blocks.
   */
  publish(ev: WatchEvent): void {
    for (const w of this.watchers) {
      if (!w.live || w.closed || !ev.kv.key.startsWith(w.prefix) || ev.revision <= w.last) continue;
      if (w.buffer.length - w.head >= this.bufferSize) {
        // Too far behind: forget the buffer, re-read from the log from w.last.
        w.live = false;
        w.buffer = [];
        w.head = 0;
      } else {
        w.buffer.push(ev);
      }
      w.wake?.();
    }
  }

  /** Events under `prefix` after `afterRevision` until `signal` aborts or the hub closes. */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const w: Watcher = { prefix, live: false, last: afterRevision, buffer: [], head: 0, closed: false };
    return {
      [Symbol.asyncIterator]: () => this.iterate(w, signal),
    };
  }

  /** Ends every watch (their iterators finish normally); called by the store's close(). */
  closeAll(): void {
    this.closedAll = true;
    for (const w of this.watchers) {
      w.closed = true;
      w.wake?.();
    }
    this.watchers.clear();
  }

  private async *iterate(w: Watcher, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    if (this.closedAll || signal.aborted) return;
    const onAbort = (): void => {
      w.closed = true;
      this.watchers.delete(w);
      w.wake?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.watchers.add(w);
    try {
      while (!w.closed) {
        if (!w.live) {
          const compacted = this.log.compactedRevision();
          if (w.last < compacted) throw compactedError(w.last, compacted);
          const page = this.log.readAfter(w.prefix, w.last, this.pageSize);
          if (page.length < this.pageSize) w.live = true; // same synchronous step as the read
          for (const ev of page) {
            if (w.closed) return;
            w.last = ev.revision;
            yield ev;
          }
          continue;
        }
        if (w.head >= w.buffer.length) {
          w.buffer = [];
          w.head = 0;
          await new Promise<void>((resolve) => {
            w.wake = resolve;
          });
          w.wake = undefined;
          continue;
        }
        const ev = w.buffer[w.head++];
        w.last = ev.revision;
        yield ev;
      }
    } finally {
      w.closed = true;
      signal.removeEventListener('abort', onAbort);
      this.watchers.delete(w);
    }
  }
}

/** Smallest string greater than every string starting with `prefix`, or undefined for none. */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xd7ff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}
