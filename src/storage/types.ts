// The Store seam: a revisioned key-value store with watch, in the shape of etcd's API (which is
// what the Kubernetes API server's storage layer needs). Implementations: MemoryStore (tests),
// SqliteStore (kine's one-table log design), EtcdStore. One contract suite (contract.ts) runs
// against all three.
//
// Invariants every implementation keeps:
// - Revisions are one global counter. Every successful write (create, update, delete) gets the
//   next revision; a key's modRevision is the revision of its last write. Revisions never go
//   backwards, across restarts too.
// - Reads and watches see writes in revision order; a watch from revision R delivers every event
//   with revision > R exactly once and in order, or fails with StoreError('Compacted') when R is
//   older than the compacted revision.
// - A write acknowledged (promise resolved) is durable.

/** One stored key. `value` is opaque to the store (the API server stores JSON text). */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created the key (the current incarnation of it). */
  createRevision: number;
  /** Revision of the key's last write. */
  modRevision: number;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  /** For PUT the new value; for DELETE the last value, with modRevision = the delete's revision. */
  kv: KeyValue;
  /** The value before this event, when there was one. */
  prevKv?: KeyValue;
  /** Revision of this event (equals kv.modRevision). */
  revision: number;
}

export interface ListOptions {
  /** At most this many items; 0 or undefined for all. */
  limit?: number;
  /** Return only keys strictly greater than this one (continue tokens carry the last key). */
  startAfter?: string;
  /** Read as of this revision (a consistent snapshot for paged lists); default: latest. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more keys under the prefix follow the last item. */
  more: boolean;
}

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Compacted' | 'Unavailable' | 'Invalid';

/** The one error class of the storage layer; the API server translates it to a Kubernetes Status. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For Conflict: the key's current value, when the store knows it. */
    readonly current?: KeyValue,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}

/** Revisioned key-value storage with watch. Only the API server uses it. */
export interface Store {
  /** The latest revision (0 for an empty store that never had a write). */
  currentRevision(): Promise<number>;
  /** The oldest revision still readable/watchable: revisions <= this one are compacted away. */
  compactedRevision(): Promise<number>;
  /** The key's current value, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys starting with `prefix`, in key order. Throws Compacted if opts.revision is compacted. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of keys under prefix at the latest revision. */
  count(prefix: string): Promise<number>;
  /** Creates key; throws AlreadyExists if it exists. */
  create(key: string, value: string): Promise<KeyValue>;
  /**
   * Replaces key's value when its modRevision equals `expectedModRevision` (compare-and-swap);
   * throws NotFound when absent and Conflict (with `current`) when the revision differs.
   */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Deletes key, optionally only when its modRevision equals `expectedModRevision`. Returns the
   * deleted value (with modRevision = the delete's revision). Throws NotFound / Conflict.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /**
   * Events for keys under `prefix` with revision > `afterRevision`, in order, until `signal`
   * aborts (the iterator then ends). Throws StoreError('Compacted') from the iterator when
   * afterRevision < compactedRevision(). A slow consumer must not block writers.
   */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent>;
  /** Discards history at and below `revision` (current values stay). */
  compact(revision: number): Promise<void>;
  /** Releases connections and files; pending watches end. */
  close(): Promise<void>;
}
