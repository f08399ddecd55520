// An in-memory API client for unit tests of controllers and the scheduler: objects per resource
// with resourceVersions, optimistic concurrency on update, merge patches, generateName, pods'
// binding subresource, and watches that deliver every change after the list they follow.
// It is no API server: no defaulting, validation or selectors beyond spec.nodeName and equality
// label selectors; tests use it to drive the loops with a fake clock and to count writes.
import { ApiStatusError, type ApiList, type ApiObject, type Client, type ClientWatchEvent, type ResourceRef } from '../client/index.js';

type Listener = (ev: ClientWatchEvent) => void;

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function matches(o: ApiObject, opts: { labelSelector?: string; fieldSelector?: string }): boolean {
  for (const term of (opts.labelSelector ?? '').split(',').filter(Boolean)) {
    const [k, v] = term.split('=');
    if ((o.metadata.labels ?? {})[k] !== v) return false;
  }
  for (const term of (opts.fieldSelector ?? '').split(',').filter(Boolean)) {
    const [k, v] = term.split('=');
    if (k === 'spec.nodeName' && (o.spec?.nodeName ?? '') !== v) return false;
    if (k === 'metadata.name' && o.metadata.name !== v) return false;
  }
  return true;
}

/** The fake client plus what tests inspect. */
export interface FakeClient extends Client {
  /** Every write as `VERB resource[/subresource] namespace/name`, in order. */
  readonly writes: string[];
  /** Makes the next calls of `VERB resource` fail with the given HTTP code (once each). */
  failNext(verb: string, resource: string, code: number, times?: number): void;
  /** Stored objects of a resource. */
  objects(resource: string): ApiObject[];
  /** Holds back watch events of one resource, or of all (a lagging informer), until resumeWatches(). */
  pauseWatches(resource?: string): void;
  /** Delivers the held-back watch events. */
  resumeWatches(): void;
}

/** Creates an empty in-memory client. */
export function createFakeClient(): FakeClient {
  const store = new Map<string, Map<string, ApiObject>>();
  const listeners = new Map<string, Set<Listener>>();
  const writes: string[] = [];
  const failures: Array<{ verb: string; resource: string; code: number }> = [];
  let rv = 1;
  let uid = 0;
  let nameSeq = 0;
  const paused = new Set<string>();
  const isPaused = (r: string): boolean => paused.has('*') || paused.has(r);
  const wakers = new Set<() => void>();

  const bucket = (r: string): Map<string, ApiObject> => {
    let b = store.get(r);
    if (!b) store.set(r, (b = new Map()));
    return b;
  };
  const k = (ns: string, name: string): string => `${ns}/${name}`;
  const history: Array<{ rv: number; resource: string; ev: ClientWatchEvent }> = [];
  const emit = (r: string, type: ClientWatchEvent['type'], o: ApiObject): void => {
    const ev = { type, object: structuredClone(o) };
    history.push({ rv: Number(o.metadata.resourceVersion), resource: r, ev });
    for (const l of listeners.get(r) ?? []) l(structuredClone(ev));
  };
  const check = (verb: string, resource: string): void => {
    const i = failures.findIndex((f) => f.verb === verb && f.resource === resource);
    if (i >= 0) {
      const [f] = failures.splice(i, 1);
      throw new ApiStatusError(f.code, 'Injected', `injected ${f.code} for ${verb} ${resource}`);
    }
  };
  const notFound = (ref: ResourceRef, name: string): ApiStatusError => new ApiStatusError(404, 'NotFound', `${ref.resource} "${name}" not found`);
  const save = (ref: ResourceRef, ns: string, o: ApiObject, type: 'ADDED' | 'MODIFIED'): ApiObject => {
    o.metadata.resourceVersion = String(++rv);
    bucket(ref.resource).set(k(ns, String(o.metadata.name)), o);
    emit(ref.resource, type, o);
    return structuredClone(o);
  };

  const client: FakeClient = {
    config: { server: 'https://fake.invalid', caPem: 'FAKE CA' },
    writes,
    failNext(verb, resource, code, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ verb, resource, code });
    },
    objects: (r) => [...bucket(r).values()].map((o) => structuredClone(o)),
    pauseWatches: (resource = '*') => { paused.add(resource); },
    resumeWatches: () => {
      paused.clear();
      for (const w of wakers) w();
    },
    async get<T extends ApiObject>(ref: ResourceRef, ns: string, name: string): Promise<T> {
      check('get', ref.resource);
      const o = bucket(ref.resource).get(k(ref.namespaced ? ns : '', name));
      if (!o) throw notFound(ref, name);
      return structuredClone(o) as T;
    },
    async list<T extends ApiObject>(ref: ResourceRef, ns: string, opts = {}): Promise<ApiList<T>> {
      check('list', ref.resource);
      const items = [...bucket(ref.resource).values()].filter((o) => (!ns || o.metadata.namespace === ns) && matches(o, opts));
      return { items: items.map((o) => structuredClone(o) as T), metadata: { resourceVersion: String(rv) } };
    },
    async create<T extends ApiObject>(ref: ResourceRef, ns: string, obj: T): Promise<T> {
      check('create', ref.resource);
      const o = structuredClone(obj) as ApiObject;
      const namespace = ref.namespaced ? ns : '';
      if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${(nameSeq++).toString(36).padStart(5, 'x')}`;
      if (bucket(ref.resource).has(k(namespace, String(o.metadata.name)))) throw new ApiStatusError(409, 'AlreadyExists', `${ref.resource} "${o.metadata.name}" already exists`);
      o.metadata = { ...o.metadata, namespace: namespace || undefined, uid: `uid-${++uid}`, creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), generation: 1 };
      writes.push(`create ${ref.resource} ${namespace}/${o.metadata.name}`);
      return save(ref, namespace, o, 'ADDED') as T;
    },
    async update<T extends ApiObject>(ref: ResourceRef, obj: T): Promise<T> {
      check('update', ref.resource);
      const ns = ref.namespaced ? String(obj.metadata.namespace ?? '') : '';
      const cur = bucket(ref.resource).get(k(ns, String(obj.metadata.name)));
      if (!cur) throw notFound(ref, String(obj.metadata.name));
      if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        throw new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${ref.resource} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      writes.push(`update ${ref.resource} ${ns}/${obj.metadata.name}`);
      return save(ref, ns, { ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), uid: cur.metadata.uid } }, 'MODIFIED') as T;
    },
    async updateStatus<T extends ApiObject>(ref: ResourceRef, obj: T): Promise<T> {
      return client.update(ref, obj);
    },
    async patch<T extends ApiObject>(ref: ResourceRef, ns: string, name: string, patch: unknown, _type = 'merge', sub?: string): Promise<T> {
      check('patch', ref.resource);
      const namespace = ref.namespaced ? ns : '';
      const cur = bucket(ref.resource).get(k(namespace, name));
      if (!cur) throw notFound(ref, name);
      writes.push(`patch ${ref.resource}${sub ? `/${sub}` : ''} ${namespace}/${name}`);
      return save(ref, namespace, mergePatch(structuredClone(cur), patch), 'MODIFIED') as T;
    },
    async delete(ref: ResourceRef, ns: string, name: string) {
      check('delete', ref.resource);
      const namespace = ref.namespaced ? ns : '';
      const cur = bucket(ref.resource).get(k(namespace, name));
      if (!cur) throw notFound(ref, name);
      bucket(ref.resource).delete(k(namespace, name));
      writes.push(`delete ${ref.resource} ${namespace}/${name}`);
      cur.metadata.resourceVersion = String(++rv);
      emit(ref.resource, 'DELETED', cur);
      return { metadata: {}, kind: 'Status', status: 'Success' } as ApiObject;
    },
    watch<T extends ApiObject>(ref: ResourceRef, ns: string, opts: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; signal?: AbortSignal } = {}): AsyncIterable<ClientWatchEvent<T>> {
      // Subscribing synchronously, with the history after resourceVersion replayed, means no
      // change between a list and its watch is lost.
      const from = Number(opts.resourceVersion ?? rv);
      return {
        async *[Symbol.asyncIterator]() {
          const replay = history.filter((h) => h.resource === ref.resource && h.rv > from).map((h) => structuredClone(h.ev));
          const queue: ClientWatchEvent[] = replay.filter((ev) => (!ns || ev.object.metadata.namespace === ns) && matches(ev.object, opts));
          let wake: (() => void) | undefined;
          const l: Listener = (ev) => {
            if (ns && ev.object.metadata.namespace !== ns) return;
            if (!matches(ev.object, opts)) return;
            queue.push(ev);
            if (!isPaused(ref.resource)) wake?.();
          };
          const resume = (): void => wake?.();
          wakers.add(resume);
          let set = listeners.get(ref.resource);
          if (!set) listeners.set(ref.resource, (set = new Set()));
          set.add(l);
          const onAbort = (): void => wake?.();
          opts.signal?.addEventListener('abort', onAbort);
          try {
            while (!opts.signal?.aborted) {
              if (queue.length === 0 || isPaused(ref.resource)) await new Promise<void>((r) => { wake = r; });
              wake = undefined;
              while (queue.length) yield queue.shift() as ClientWatchEvent<T>;
            }
          } finally {
            set.delete(l);
            wakers.delete(resume);
            opts.signal?.removeEventListener('abort', onAbort);
          }
        },
      };
    },
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/binding$/.exec(path);
      if (method !== 'POST' || !m) throw new ApiStatusError(404, 'NotFound', `no fake route for ${method} ${path}`);
      check('create', 'pods/binding');
      const pods = { group: '', version: 'v1', resource: 'pods', namespaced: true };
      const cur = bucket('pods').get(k(m[1], m[2]));
      if (!cur) throw notFound(pods, m[2]);
      if (cur.spec?.nodeName) throw new ApiStatusError(409, 'Conflict', `pod ${m[2]} is already assigned to node "${cur.spec.nodeName}"`);
      writes.push(`create pods/binding ${m[1]}/${m[2]}`);
      const node = (body as { target: { name: string } }).target.name;
      save(pods, m[1], { ...cur, spec: { ...cur.spec, nodeName: node } }, 'MODIFIED');
      return { kind: 'Status', status: 'Success' } as T;
    },
    close: () => undefined,
  };
  return client;
}
