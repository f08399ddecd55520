// EtcdStore: the Store contract on an etcd 3.4+ cluster through the `etcd3` client's raw KV RPCs.
// Keys are stored exactly as given. Writes are single transactions: create compares
// create_revision = 0, update and delete compare mod_revision (the CAS the API server needs);
// the failure branch reads the key so a Conflict carries the current value without a second trip.
//
// Errors map once, here, from etcd's messages (etcd server/mvcc/kvstore.go ErrCompacted,
// ErrFutureRev; rpctypes ErrRequestTooLarge) to StoreError codes.
//
// Watch: one etcd watcher per watch, from afterRevision + 1 with prev_kv. Events are buffered per
// watch, bounded: when a response arrives while the consumer is `bufferSize` events behind, the etcd watcher is
// cancelled and the buffer dropped, and once the consumer has drained what it had, a new watcher
// resumes from the last delivered revision (etcd replays from its history). Writers never wait.
// If etcd's history no longer reaches back that far, the watch ends with StoreError('Compacted');
// if the stream to etcd breaks, it ends with StoreError('Unavailable') (the caller re-watches).
import { Etcd3, GRPCUnavailableError, GRPCDeadlineExceededError, ClientClosedError, type IKeyValue, type Watcher } from 'etcd3';
import { silentLogger, type Logger } from '../../common/log.js';
import { StoreError, type KeyValue, type ListOptions, type ListResult, type Store, type WatchEvent } from '../types.js';
import { checkValueSize, MAX_VALUE_BYTES, REQUEST_TOO_LARGE } from '../limits.js';

export interface EtcdStoreOptions {
  /** Client endpoints, e.g. ['http://127.0.0.1:2379']. */
  endpoints: string[];
  /** Events buffered per watch before it is suspended and later resumed from etcd's history (default 1000). */
  bufferSize?: number;
  /** Largest value accepted client-side, in bytes (default MAX_VALUE_BYTES, etcd's own default limit). */
  maxValueBytes?: number;
  /** Per-call deadline in ms (default 10000). */
  callTimeoutMs?: number;
  log?: Logger;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const ZERO = Buffer.from([0]);

/** The first key after every key that starts with `prefix` (etcd's clientv3.GetPrefixRangeEnd). */
function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return ZERO; // no upper bound: every key >= start
}

function toKv(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

/** Maps an etcd client error to the storage layer's one error class. */
export function mapEtcdError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/required revision has been compacted/.test(msg)) return new StoreError('Compacted', `etcdserver: mvcc: required revision has been compacted`);
  if (/required revision is a future revision/.test(msg)) return new StoreError('Invalid', 'etcdserver: mvcc: required revision is a future revision');
  if (/request is too large|larger than max|RESOURCE_EXHAUSTED|ResourceExhausted/i.test(msg)) return new StoreError('Invalid', REQUEST_TOO_LARGE);
  if (e instanceof GRPCUnavailableError || e instanceof GRPCDeadlineExceededError || e instanceof ClientClosedError) {
    return new StoreError('Unavailable', `etcd unavailable: ${msg}`);
  }
  return new StoreError('Unavailable', `etcd: ${msg}`);
}

/** The Store contract on etcd. */
export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly log: Logger;
  private readonly bufferSize: number;
  private readonly maxValueBytes: number;
  private readonly callTimeoutMs: number;
  private knownCompacted = 0;
  private readonly closers = new Set<() => void>();
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    this.log = (opts.log ?? silentLogger).child({ component: 'storage', backend: 'etcd' });
    this.bufferSize = opts.bufferSize ?? 1000;
    this.maxValueBytes = opts.maxValueBytes ?? MAX_VALUE_BYTES;
    this.callTimeoutMs = opts.callTimeoutMs ?? 10_000;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      defaultCallOptions: () => ({ deadline: Date.now() + this.callTimeoutMs }),
    });
  }

  /** See Store.currentRevision. */
  async currentRevision(): Promise<number> {
    const r = await this.call(() => this.client.kv.range({ key: ZERO, limit: 1, count_only: true }));
    return Number(r.header.revision);
  }

  /**
   * See Store.compactedRevision. etcd does not report it directly; a read at revision R fails
   * exactly when R < the compacted revision, so this searches between the last known value and
   * the current revision (a few reads; only the API server's rare 410 decisions need it).
   */
  async compactedRevision(): Promise<number> {
    const current = await this.currentRevision();
    // Compaction only moves forward, so the last known value is a lower bound.
    let unreadable = Math.max(this.knownCompacted, 1);
    if (await this.readable(unreadable)) return unreadable === 1 ? 0 : unreadable;
    let hi = current; // the current revision is always readable
    while (hi - unreadable > 1) {
      const mid = Math.floor((unreadable + hi) / 2);
      if (await this.readable(mid)) hi = mid;
      else unreadable = mid;
    }
    this.knownCompacted = hi;
    return hi;
  }

  /** See Store.get. */
  async get(key: string): Promise<KeyValue | undefined> {
    const r = await this.call(() => this.client.kv.range({ key: enc(key) }));
    return r.kvs[0] ? toKv(r.kvs[0]) : undefined;
  }

  /** See Store.list. */
  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const p = enc(prefix);
    let start = p;
    if (opts.startAfter !== undefined) {
      const after = Buffer.concat([enc(opts.startAfter), ZERO]);
      if (Buffer.compare(after, p) > 0) start = after;
    }
    const r = await this.call(() =>
      this.client.kv.range({
        key: start,
        range_end: rangeEnd(p),
        limit: opts.limit && opts.limit > 0 ? opts.limit : 0,
        revision: opts.revision && opts.revision > 0 ? opts.revision : 0,
      }),
    );
    const revision = opts.revision && opts.revision > 0 ? opts.revision : Number(r.header.revision);
    return { items: r.kvs.map(toKv), revision, more: Boolean(r.more) };
  }

  /** See Store.count. */
  async count(prefix: string): Promise<number> {
    const p = enc(prefix);
    const r = await this.call(() => this.client.kv.range({ key: p, range_end: rangeEnd(p), count_only: true }));
    return Number(r.count);
  }

  /** See Store.create. */
  async create(key: string, value: string): Promise<KeyValue> {
    checkValueSize(value, this.maxValueBytes);
    const k = enc(key);
    const r = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: enc(value) } }],
      }),
    );
    if (!r.succeeded) throw new StoreError('AlreadyExists', `key ${key} already exists`);
    const rev = Number(r.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  /** See Store.update. */
  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    checkValueSize(value, this.maxValueBytes);
    const k = enc(key);
    const r = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
        success: [{ request_put: { key: k, value: enc(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!r.succeeded) throw this.casFailure(key, expectedModRevision, r.responses[0]?.response_range?.kvs?.[0]);
    const prev = r.responses[0].response_put.prev_kv;
    const rev = Number(r.header.revision);
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  /** See Store.delete. */
  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const k = enc(key);
    const r = await this.call(() =>
      this.client.kv.txn({
        compare:
          expectedModRevision === undefined
            ? [{ key: k, target: 'Create', result: 'Greater', create_revision: 0 }]
            : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!r.succeeded) throw this.casFailure(key, expectedModRevision, r.responses[0]?.response_range?.kvs?.[0]);
    const prev = r.responses[0].response_delete_range.prev_kvs[0];
    if (!prev) throw new StoreError('NotFound', `key ${key} not found`);
    return { ...toKv(prev), modRevision: Number(r.header.revision) };
  }

  /** See Store.watch. */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    return { [Symbol.asyncIterator]: () => this.iterate(prefix, afterRevision, signal) };
  }

  /** See Store.compact. Compacting at or below the compacted revision does nothing. */
  async compact(revision: number): Promise<void> {
    try {
      await this.call(() => this.client.kv.compact({ revision, physical: true }));
    } catch (e) {
      if (e instanceof StoreError && e.code === 'Compacted') return;
      throw e;
    }
    this.knownCompacted = Math.max(this.knownCompacted, revision);
  }

  /** See Store.close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.closers) c();
    this.closers.clear();
    this.client.close();
  }

  private casFailure(key: string, expected: number | undefined, cur: IKeyValue | undefined): StoreError {
    if (!cur) return new StoreError('NotFound', `key ${key} not found`);
    const kv = toKv(cur);
    return new StoreError('Conflict', `key ${key} has modRevision ${kv.modRevision}, expected ${expected}`, kv);
  }

  private async readable(revision: number): Promise<boolean> {
    try {
      await this.call(() => this.client.kv.range({ key: ZERO, limit: 1, count_only: true, revision }));
      return true;
    } catch (e) {
      if (e instanceof StoreError && e.code === 'Compacted') return false;
      throw e;
    }
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('Unavailable', 'store is closed');
    try {
      return await fn();
    } catch (e) {
      throw mapEtcdError(e);
    }
  }

  private async *iterate(prefix: string, after: number, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    if (signal.aborted || this.closed) return;
    // Our contract: Compacted when afterRevision < the compacted revision, i.e. when a read at
    // afterRevision fails (etcd itself would still allow a watch from exactly compacted + 1).
    if (!(await this.readable(Math.max(after, 1)))) throw new StoreError('Compacted', `required revision has been compacted: watch from revision ${after}`);

    const buffer: WatchEvent[] = [];
    let head = 0;
    let delivered = after;
    let enqueued = after;
    let failure: unknown;
    let ended = false;
    let watcher: Watcher | undefined;
    let generation = 0;
    let suspended = true; // no watcher yet
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const cancel = (): void => {
      const w = watcher;
      watcher = undefined;
      generation++;
      w?.removeAllListeners();
      w?.on('error', () => undefined);
      w?.cancel().catch(() => undefined);
    };
    const stop = (): void => {
      // Runs on abort or close even while the consumer is parked between next() calls.
      ended = true;
      cancel();
      notify();
    };
    signal.addEventListener('abort', stop, { once: true });
    this.closers.add(stop);

    const start = async (): Promise<void> => {
      const gen = ++generation;
      const w = await this.client.watch().prefix(prefix).startRevision(String(delivered + 1)).withPreviousKV().create();
      if (gen !== generation || ended) {
        w.cancel().catch(() => undefined);
        return;
      }
      watcher = w;
      w.on('data', (res) => {
        if (gen !== generation) return;
        if (buffer.length - head >= this.bufferSize) {
          // The consumer is too far behind: stop receiving, resume from etcd's history later. The
          // check is per response (etcd sends at most 1000 revisions in one), so a catch-up batch
          // larger than the buffer is still taken whole and the watch always makes progress.
          this.log.debug({ prefix, delivered }, 'watch consumer behind; suspending etcd watcher');
          cancel();
          buffer.length = 0;
          head = 0;
          enqueued = delivered;
          suspended = true;
          notify();
          return;
        }
        for (const ev of res.events) {
          const kv = toKv(ev.kv);
          if (kv.modRevision <= enqueued) continue; // replay after a reconnect
          const out: WatchEvent = { type: ev.type === 'Delete' ? 'DELETE' : 'PUT', kv, revision: kv.modRevision };
          if (ev.prev_kv) out.prevKv = toKv(ev.prev_kv);
          if (ev.type === 'Delete' && out.prevKv) {
            // etcd's delete event carries only the key; the deleted value is the previous one.
            kv.value = out.prevKv.value;
            kv.createRevision = out.prevKv.createRevision;
          }
          buffer.push(out);
          enqueued = kv.modRevision;
        }
        notify();
      });
      w.on('error', (err) => {
        if (gen !== generation) return;
        failure = err;
        notify();
      });
      // The etcd3 client would resume a broken stream from the revision it last saw in a response
      // header, which can skip events not yet delivered during a catch-up. End the watch instead;
      // the API server's client re-watches from its last resourceVersion, which is exact.
      w.on('disconnected', () => {
        if (gen !== generation) return;
        failure = new StoreError('Unavailable', 'etcd watch stream disconnected');
        cancel();
        notify();
      });
    };

    try {
      while (!ended) {
        if (head < buffer.length) {
          const ev = buffer[head++];
          delivered = ev.revision;
          yield ev;
          continue;
        }
        buffer.length = 0;
        head = 0;
        if (failure !== undefined) {
          const err = mapEtcdError(failure);
          if (err.code !== 'Compacted' && !(await this.readable(Math.max(delivered, 1)))) {
            throw new StoreError('Compacted', `required revision has been compacted: watch resumed from revision ${delivered}`);
          }
          throw err;
        }
        if (suspended) {
          suspended = false;
          try {
            await start();
          } catch (e) {
            throw mapEtcdError(e);
          }
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal.removeEventListener('abort', stop);
      this.closers.delete(stop);
      cancel();
    }
  }
}
