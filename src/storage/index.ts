// The storage component's public face: the Store seam, its three implementations, and openStore,
// which turns a `--datastore` URL into an open Store.
//
//   sqlite:///ABSOLUTE/PATH              SqliteStore on that file (created with its directory)
//   etcd://HOST:PORT[,HOST:PORT...]      EtcdStore on those client endpoints (plain http)
//
// Slow watchers: every backend buffers a bounded number of live events per watch. A watch that
// falls further behind is moved back onto the store's history (SQLite's log table, etcd's MVCC
// history) and resumes from its last delivered revision, so writers never wait and memory stays
// bounded; only when compaction has removed that history does the watch end with
// StoreError('Compacted'), which the API server answers with 410 Gone (the client re-lists).
import type { Logger } from '../common/log.js';
import { EtcdStore } from './etcd/index.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/index.js';
import { StoreError, type Store } from './types.js';

export * from './types.js';
export { MemoryStore, type MemoryStoreOptions } from './memory/index.js';
export { SqliteStore, type SqliteStoreOptions, type Scheduler, type Cancel } from './sqlite/index.js';
export { EtcdStore, type EtcdStoreOptions } from './etcd/index.js';
export { MAX_VALUE_BYTES, REQUEST_TOO_LARGE } from './limits.js';

/** Options for openStore; each applies to the backends that know it. */
export interface OpenStoreOptions {
  log?: Logger;
  /** SQLite only: see SqliteStoreOptions. */
  sqlite?: Omit<SqliteStoreOptions, 'log'>;
  /** etcd only: how long to wait for the cluster to answer at open (default 10000 ms). */
  etcdConnectTimeoutMs?: number;
}

/** A parsed datastore URL. */
export type DatastoreUrl = { kind: 'sqlite'; path: string } | { kind: 'etcd'; endpoints: string[] };

const USAGE = 'expected sqlite:///ABSOLUTE/PATH or etcd://HOST:PORT[,HOST:PORT...]';

/** Parses a `--datastore` URL; throws StoreError('Invalid') with a message naming the problem. */
export function parseDatastoreUrl(url: string): DatastoreUrl {
  const invalid = (why: string): StoreError => new StoreError('Invalid', `invalid datastore URL "${url}": ${why}; ${USAGE}`);
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (!path.startsWith('/')) throw invalid('the SQLite path must be absolute');
    if (path.endsWith('/')) throw invalid('the SQLite path names a directory');
    return { kind: 'sqlite', path: decodeURIComponent(path) };
  }
  if (url.startsWith('etcd://')) {
    const hosts = url.slice('etcd://'.length).replace(/\/+$/, '');
    if (!hosts) throw invalid('no etcd endpoints');
    const endpoints = hosts.split(',').map((h) => {
      const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(h.trim());
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw invalid(`bad endpoint "${h}"`);
      return `http://${m[1]}:${m[2]}`;
    });
    return { kind: 'etcd', endpoints };
  }
  throw invalid('unknown scheme');
}

/**
 * Opens the Store a datastore URL names. For etcd it waits until the cluster answers, so a
 * wrong address fails here with StoreError('Unavailable') rather than on the first request.
 */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const parsed = parseDatastoreUrl(url);
  if (parsed.kind === 'sqlite') return new SqliteStore(parsed.path, { ...opts.sqlite, log: opts.log });
  const store = new EtcdStore({ endpoints: parsed.endpoints, log: opts.log, callTimeoutMs: opts.etcdConnectTimeoutMs ?? 10_000 });
  try {
    await store.currentRevision();
  } catch (e) {
    await store.close();
    throw new StoreError('Unavailable', `cannot reach etcd at ${parsed.endpoints.join(', ')}: ${(e as Error).message}`);
  }
  return store;
}
