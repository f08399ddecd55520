// MemoryStore: the Store contract held in process memory, for unit tests of the API server and
// anything above it. It keeps the whole history (every version of every key) until compact().
import { StoreError, type KeyValue, type ListOptions, type ListResult, type Store, type WatchEvent } from '../types.js';
import { WatchHub, type WatchHubOptions } from '../watch-hub.js';
import { checkValueSize, MAX_VALUE_BYTES } from '../limits.js';

interface Version {
  rev: number;
  /** undefined for a tombstone (the key was deleted at rev). */
  kv?: KeyValue;
}

export interface MemoryStoreOptions extends WatchHubOptions {
  /** Largest value accepted, in bytes (default MAX_VALUE_BYTES, etcd's request limit). */
  maxValueBytes?: number;
}

/** The Store contract in memory. Revisions start at 1 for the first write. */
export class MemoryStore implements Store {
  private rev = 0;
  private compacted = 0;
  private readonly versions = new Map<string, Version[]>();
  private events: WatchEvent[] = [];
  private readonly hub: WatchHub;
  private closed = false;
  private readonly maxValueBytes: number;

  constructor(opts: MemoryStoreOptions = {}) {
    this.maxValueBytes = opts.maxValueBytes ?? MAX_VALUE_BYTES;
    this.hub = new WatchHub(
      {
        readAfter: (prefix, after, limit) => this.readAfter(prefix, after, limit),
        compactedRevision: () => this.compacted,
      },
      opts,
    );
  }

  /** See Store.currentRevision. */
  async currentRevision(): Promise<number> {
    this.check();
    return this.rev;
  }

  /** See Store.compactedRevision. */
  async compactedRevision(): Promise<number> {
    this.check();
    return this.compacted;
  }

  /** See Store.get. */
  async get(key: string): Promise<KeyValue | undefined> {
    this.check();
    return this.latest(key);
  }

  /** See Store.list. */
  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.check();
    const at = opts.revision && opts.revision > 0 ? opts.revision : this.rev;
    if (at < this.compacted) throw new StoreError('Compacted', `required revision ${at} has been compacted (compacted revision ${this.compacted})`);
    if (at > this.rev) throw new StoreError('Invalid', `required revision ${at} is a future revision (current revision ${this.rev})`);
    const keys = [...this.versions.keys()]
      .filter((k) => k.startsWith(prefix) && (opts.startAfter === undefined || k > opts.startAfter))
      .sort();
    const items: KeyValue[] = [];
    let more = false;
    for (const k of keys) {
      const kv = this.at(k, at);
      if (!kv) continue;
      if (opts.limit && items.length >= opts.limit) {
        more = true;
        break;
      }
      items.push(kv);
    }
    return { items, revision: at, more };
  }

  /** See Store.count. */
  async count(prefix: string): Promise<number> {
    this.check();
    let n = 0;
    for (const k of this.versions.keys()) if (k.startsWith(prefix) && this.latest(k)) n++;
    return n;
  }

  /** See Store.create. */
  async create(key: string, value: string): Promise<KeyValue> {
    this.check();
    checkValueSize(value, this.maxValueBytes);
    if (this.latest(key)) throw new StoreError('AlreadyExists', `key ${key} already exists`);
    const rev = ++this.rev;
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
    this.append(key, { rev, kv }, { type: 'PUT', kv, revision: rev });
    return kv;
  }

  /** See Store.update. */
  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.check();
    checkValueSize(value, this.maxValueBytes);
    const cur = this.latest(key);
    if (!cur) throw new StoreError('NotFound', `key ${key} not found`);
    if (cur.modRevision !== expectedModRevision) {
      throw new StoreError('Conflict', `key ${key} has modRevision ${cur.modRevision}, expected ${expectedModRevision}`, cur);
    }
    const rev = ++this.rev;
    const kv: KeyValue = { key, value, createRevision: cur.createRevision, modRevision: rev };
    this.append(key, { rev, kv }, { type: 'PUT', kv, prevKv: cur, revision: rev });
    return kv;
  }

  /** See Store.delete. */
  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.check();
    const cur = this.latest(key);
    if (!cur) throw new StoreError('NotFound', `key ${key} not found`);
    if (expectedModRevision !== undefined && cur.modRevision !== expectedModRevision) {
      throw new StoreError('Conflict', `key ${key} has modRevision ${cur.modRevision}, expected ${expectedModRevision}`, cur);
    }
    const rev = ++this.rev;
    const kv: KeyValue = { ...cur, modRevision: rev };
    this.append(key, { rev }, { type: 'DELETE', kv, prevKv: cur, revision: rev });
    return kv;
  }

  /** See Store.watch. */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    this.check();
    return this.hub.watch(prefix, afterRevision, signal);
  }

  /** See Store.compact. Compacting at or below the compacted revision does nothing. */
  async compact(revision: number): Promise<void> {
    this.check();
    if (revision > this.rev) throw new StoreError('Invalid', `required revision ${revision} is a future revision (current revision ${this.rev})`);
    if (revision <= this.compacted) return;
    for (const [key, vs] of this.versions) {
      // Keep the newest version at or below `revision` (unless it is a tombstone) and all newer ones.
      let i = vs.length - 1;
      while (i >= 0 && vs[i].rev > revision) i--;
      const keepFrom = i >= 0 && vs[i].kv ? i : i + 1;
      const kept = vs.slice(Math.max(keepFrom, 0));
      if (kept.length === 0) this.versions.delete(key);
      else this.versions.set(key, kept);
    }
    this.events = this.events.filter((e) => e.revision > revision);
    this.compacted = revision;
  }

  /** See Store.close. */
  async close(): Promise<void> {
    this.closed = true;
    this.hub.closeAll();
  }

  private check(): void {
    if (this.closed) throw new StoreError('Unavailable', 'store is closed');
  }

  private append(key: string, v: Version, ev: WatchEvent): void {
    const vs = this.versions.get(key);
    if (vs) vs.push(v);
    else this.versions.set(key, [v]);
    this.events.push(ev);
    this.hub.publish(ev);
  }

  private latest(key: string): KeyValue | undefined {
    const vs = this.versions.get(key);
    return vs?.[vs.length - 1].kv;
  }

  private at(key: string, rev: number): KeyValue | undefined {
    const vs = this.versions.get(key);
    if (!vs) return undefined;
    for (let i = vs.length - 1; i >= 0; i--) if (vs[i].rev <= rev) return vs[i].kv;
    return undefined;
  }

  private readAfter(prefix: string, after: number, limit: number): WatchEvent[] {
    // events are sorted by revision: binary search the first one after `after`.
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].revision <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: WatchEvent[] = [];
    for (let i = lo; i < this.events.length && out.length < limit; i++) {
      if (this.events[i].kv.key.startsWith(prefix)) out.push(this.events[i]);
    }
    return out;
  }
}
