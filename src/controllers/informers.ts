// Shared informers (client-go's SharedInformerFactory, in small): one list/watch per resource
// for every controller in the process, each controller registering its own handlers. A handler
// registered after the cache filled is first replayed every cached object as an add, so late
// registrations see the same world as early ones.
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { startInformer, type ApiObject, type Client, type Informer, type InformerHandlers, type ResourceRef } from '../client/index.js';

/** One resource's shared cache plus handler registration. */
export interface SharedInformer<T extends ApiObject = ApiObject> {
  /** The cached object, or undefined. */
  get(namespace: string, name: string): T | undefined;
  /** Every cached object. */
  list(): T[];
  /** Cached objects of one namespace. */
  listNamespace(namespace: string): T[];
  /** Adds handlers; objects already cached are delivered to onAdd first. */
  addHandlers(h: InformerHandlers<T>): void;
  /** Resolves once the first list is in the cache. */
  synced(): Promise<void>;
  /** True once synced. */
  hasSynced(): boolean;
}

/** Options of one informer: where it looks. */
export interface InformerScope {
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
}

/** Creates and shares informers; stop() ends every watch. */
export class InformerFactory {
  private readonly informers = new Map<string, { shared: SharedInformer; inner: Informer<ApiObject> }>();

  /** @param client the API client every informer uses */
  constructor(private readonly client: Client, private readonly log: Logger = silentLogger) {}

  /** The shared informer for `ref` (and scope), started on first request. */
  for<T extends ApiObject = ApiObject>(ref: ResourceRef, scope: InformerScope = {}): SharedInformer<T> {
    const key = `${ref.group}/${ref.resource}|${scope.namespace ?? ''}|${scope.fieldSelector ?? ''}|${scope.labelSelector ?? ''}`;
    const existing = this.informers.get(key);
    if (existing) return existing.shared as unknown as SharedInformer<T>;
    const handlers: InformerHandlers<ApiObject>[] = [];
    const byNamespace = new Map<string, Map<string, ApiObject>>();
    const index = (o: ApiObject): void => {
      const ns = o.metadata.namespace ?? '';
      let m = byNamespace.get(ns);
      if (!m) byNamespace.set(ns, (m = new Map()));
      m.set(String(o.metadata.name), o);
    };
    const unindex = (o: ApiObject): void => {
      byNamespace.get(o.metadata.namespace ?? '')?.delete(String(o.metadata.name));
    };
    const safe = (fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        this.log.error({ resource: ref.resource, err: (e as Error).message }, 'informer handler failed');
      }
    };
    const inner = startInformer<ApiObject>(this.client, ref, {
      ...scope,
      log: this.log,
      handlers: {
        onAdd: (o) => { index(o); for (const h of handlers) safe(() => h.onAdd?.(o)); },
        onUpdate: (a, b) => { index(b); for (const h of handlers) safe(() => h.onUpdate?.(a, b)); },
        onDelete: (o) => { unindex(o); for (const h of handlers) safe(() => h.onDelete?.(o)); },
      },
    });
    const shared: SharedInformer = {
      get: (ns, name) => inner.get(ns, name),
      list: () => inner.list(),
      listNamespace: (ns) => [...(byNamespace.get(ns)?.values() ?? [])],
      addHandlers: (h) => {
        handlers.push(h);
        for (const o of inner.list()) safe(() => h.onAdd?.(o));
      },
      synced: () => inner.synced(),
      hasSynced: () => inner.hasSynced(),
    };
    this.informers.set(key, { shared, inner });
    return shared as unknown as SharedInformer<T>;
  }

  /** Resolves once every informer started so far has synced. */
  async synced(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.inner.synced()));
  }

  /** Stops every informer. */
  stop(): void {
    for (const i of this.informers.values()) i.inner.stop();
    this.informers.clear();
  }
}
