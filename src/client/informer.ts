// An informer: list, then watch from the list's resourceVersion, keeping a cache keyed
// `namespace/name` and calling handlers on changes (client-go's reflector + indexer, in small).
// A watch that ends is resumed from the last seen resourceVersion; a 410 Expired (as an HTTP
// answer or an ERROR event) triggers a fresh list.
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { ApiStatusError, type ApiObject, type Client, type ResourceRef } from './client.js';

/** Change callbacks; they run in event order and must not throw. */
export interface InformerHandlers<T extends ApiObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** A running informer. */
export interface Informer<T extends ApiObject> {
  /** The cached object, or undefined. */
  get(namespace: string, name: string): T | undefined;
  /** Every cached object. */
  list(): T[];
  /** True once the first list has been loaded into the cache. */
  hasSynced(): boolean;
  /** Resolves once synced. */
  synced(): Promise<void>;
  /** Stops the list/watch loop. */
  stop(): void;
}

/** Cache key of an object. */
export function objectKey(obj: ApiObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : String(obj.metadata.name);
}

/** Starts an informer for `ref` in `namespace` ('' for all). */
export function startInformer<T extends ApiObject>(client: Client, ref: ResourceRef, opts: {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  handlers?: InformerHandlers<T>;
  log?: Logger;
  /** Pause between failed attempts (default 1 s). */
  retryMs?: number;
}): Informer<T> {
  const cache = new Map<string, T>();
  const ac = new AbortController();
  const log = opts.log ?? silentLogger;
  const h = opts.handlers ?? {};
  let synced = false;
  let onSynced: () => void = () => undefined;
  const syncedP = new Promise<void>((r) => { onSynced = r; });
  const ns = opts.namespace ?? '';

  const relist = async (): Promise<string> => {
    const fresh = new Map<string, T>();
    let token: string | undefined;
    let rv = '';
    do {
      const page = await client.list<T>(ref, ns, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: 500, continue: token });
      for (const o of page.items) fresh.set(objectKey(o), o);
      rv = page.metadata.resourceVersion ?? rv;
      token = page.metadata.continue || undefined;
    } while (token);
    for (const [k, old] of cache) if (!fresh.has(k)) { cache.delete(k); h.onDelete?.(old); }
    for (const [k, o] of fresh) {
      const old = cache.get(k);
      cache.set(k, o);
      if (!old) h.onAdd?.(o);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) h.onUpdate?.(old, o);
    }
    if (!synced) { synced = true; onSynced(); }
    return rv;
  };

  const run = async (): Promise<void> => {
    let rv = '';
    while (!ac.signal.aborted) {
      try {
        if (!rv) rv = await relist();
        for await (const ev of client.watch<T>(ref, ns, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300), signal: ac.signal })) {
          if (ev.type === 'ERROR') {
            const code = Number((ev.object as unknown as { code?: number }).code);
            if (code === 410) rv = '';
            break;
          }
          const o = ev.object;
          rv = o.metadata.resourceVersion ?? rv;
          if (ev.type === 'BOOKMARK') continue;
          const k = objectKey(o);
          const old = cache.get(k);
          if (ev.type === 'DELETED') {
            cache.delete(k);
            h.onDelete?.(old ?? o);
          } else {
            cache.set(k, o);
            if (old) h.onUpdate?.(old, o);
            else h.onAdd?.(o);
          }
        }
      } catch (e) {
        if (ac.signal.aborted) return;
        if (e instanceof ApiStatusError && e.code === 410) rv = '';
        log.warn({ resource: ref.resource, err: (e as Error).message }, 'list/watch failed; retrying');
        await new Promise((r) => setTimeout(r, opts.retryMs ?? 1000));
      }
    }
  };
  void run();

  return {
    get: (namespace, name) => cache.get(namespace ? `${namespace}/${name}` : name),
    list: () => [...cache.values()],
    hasSynced: () => synced,
    synced: () => syncedP,
    stop: () => ac.abort(),
  };
}
