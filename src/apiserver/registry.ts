// The generic resource registry: one implementation of get, list, watch, create, update, patch,
// delete and deletecollection for every kind, configured by the kind's ResourceStrategy. It
// speaks objects and ApiErrors; the HTTP layer (handler.ts) does bytes, negotiation and streams.
//
// Storage layout (one key per object; the value is the object's JSON without resourceVersion,
// which is the key's modRevision on the way out, as upstream's etcd3 store does):
//   /registry/<group or "core">/<resource>/<namespace>/<name>   namespaced kinds
//   /registry/<group or "core">/<resource>/<name>               cluster-scoped kinds
import { randomUUID, randomInt } from 'node:crypto';
import type { Logger } from '../common/log.js';
import type { FieldError } from '../api/field-errors.js';
import { AdmissionForbiddenError, type KubeObject, type ResourceStrategy, type StrategyContext } from './resources/types.js';
import { isStoreError, type KeyValue, type Store, type WatchEvent } from '../storage/types.js';
import {
  alreadyExists, badRequest, conflict, expired, forbidden, internalError, invalid, notFound,
  serviceUnavailable, unknownError, type ApiError, type GroupResource, ApiError as ApiErrorClass, successStatus, type Status,
} from './status.js';
import { CONTINUE_EXPIRED_MESSAGE, ContinueTokenError, decodeContinue, encodeContinue } from './continue-token.js';

/** Selects objects for list, watch and deletecollection (label and field selectors together). */
export interface ObjectFilter {
  /** True when the object matches every selector. */
  matches(obj: KubeObject): boolean;
  /** True when the filter selects everything (lets list skip the per-object check). */
  readonly empty: boolean;
}

/** Everything the registry needs from outside, injected by startApiServer. */
export interface RegistryDeps {
  store: Store;
  strategies: ResourceStrategy[];
  log: Logger;
  now?: () => Date;
  /** Cluster CA PEM, for the kube-root-ca.crt ConfigMap in every namespace. */
  caPem: string;
  /** Random 5-character generateName suffixes; injectable to force collisions in tests. */
  nameSuffix?: () => string;
  /**
   * True when a garbage collector runs: Foreground and Orphan deletion then add the
   * `foregroundDeletion` / `orphan` finalizers for it, as upstream does. Without one (berth
   * server alone) they would never be removed, so both policies delete like Background.
   */
  garbageCollector?: boolean;
}

/** Who is asking, and where warnings go. */
export interface CallContext {
  user: { name: string; groups: string[] };
  warn(text: string): void;
}

/** Options shared by writes. */
export interface WriteOptions {
  dryRun?: boolean;
}

/** DeleteOptions as the body or the query carries them. */
export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** List parameters. */
export interface ListParams {
  limit?: number;
  continueToken?: string;
  filter?: ObjectFilter;
  /** resourceVersion with resourceVersionMatch=Exact reads at that revision. */
  exactRevision?: number;
}

/** A list answer before encoding. */
export interface ListAnswer {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
}

/** One event of a watch, before encoding. */
export interface ApiWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject | Status;
}

/** A served kind: its strategy plus derived names. */
export interface ResourceHandler {
  strategy: ResourceStrategy;
  /** The group/resource used in messages (`deployments.apps`). */
  gr: GroupResource;
  /** Key prefix of the kind's storage, ending in '/'. */
  storagePrefix: string;
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATE_NAME_LENGTH = 58; // 63 - 5 (apiserver names.go maxGeneratedNameLength)
const GENERATE_NAME_ATTEMPTS = 8; // KEP-4420 retries on a collision
const DECODED_CACHE_SIZE = 50_000;
/** Namespaces that cannot be deleted (plugin/pkg/admission/namespace/lifecycle: immortalNamespaces). */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
/** Storage reads are paged so that no single read exceeds a backend's message limit (etcd's gRPC 4 MiB). */
const STORAGE_PAGE = 500;

/** Upstream's 5-character random name suffix (apiserver storage/names/generate.go). */
export function randomNameSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return s;
}

/** An RFC 3339 timestamp to the second, as metav1.Time marshals. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Path-style lookup ("spec.replicas") into an object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: any = obj;
  for (const p of path.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Sets a dot path, creating objects on the way. */
export function setPath(obj: any, path: string, value: unknown): void {
  const parts = path.split('.').filter(Boolean);
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = {};
    cur = cur[p];
  }
  cur[parts[parts.length - 1]] = value;
}

/** Renders a LabelSelector (or a selector string) as upstream's selector string. */
export function labelSelectorString(sel: unknown): string {
  if (typeof sel === 'string') return sel;
  if (!sel || typeof sel !== 'object') return '';
  const s = sel as { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
  const reqs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) reqs.push([k, `${k}=${v}`]);
  for (const e of s.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') reqs.push([e.key, `${e.key} in (${vals})`]);
    else if (e.operator === 'NotIn') reqs.push([e.key, `${e.key} notin (${vals})`]);
    else if (e.operator === 'Exists') reqs.push([e.key, e.key]);
    else if (e.operator === 'DoesNotExist') reqs.push([e.key, `!${e.key}`]);
  }
  reqs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return reqs.map((r) => r[1]).join(',');
}

/** Translates a storage failure into the Status upstream would answer. */
export function storeFailure(e: unknown, gr: GroupResource, name: string): ApiError {
  if (e instanceof ApiErrorClass) return e;
  if (isStoreError(e)) {
    switch (e.code) {
      case 'NotFound': return notFound(gr, name);
      case 'AlreadyExists': return alreadyExists(gr, name);
      case 'Conflict': return conflict(gr, name);
      case 'Compacted': return expired(e.message);
      case 'Unavailable': return serviceUnavailable(e.message);
      // etcd's "request is too large" reaches clients as a 500 without a reason, as upstream's
      // does (TestObjectSizeResponses); bodies over 3 MiB get the 413 before storage.
      case 'Invalid': return unknownError(e.message);
    }
  }
  return internalError(e instanceof Error ? e.message : String(e));
}

/** The generic registry. One instance per API server. */
export class ResourceRegistry {
  readonly store: Store;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly caPem: string;
  private readonly nameSuffix: () => string;
  private readonly garbageCollector: boolean;
  /** group/version/resource -> handler (the strategy lookup, built once). */
  private readonly byGvr = new Map<string, ResourceHandler>();
  /** group/resource -> handler of the first served version. */
  private readonly byGr = new Map<string, ResourceHandler>();
  /** Parsed objects by `key@revision` (decodeShared). */
  private readonly decoded = new Map<string, KubeObject>();
  /** Namespaces being emptied, so one termination runs per namespace. */
  private readonly terminating = new Map<string, Promise<void>>();

  constructor(deps: RegistryDeps) {
    this.store = deps.store;
    this.log = deps.log;
    this.now = deps.now ?? (() => new Date());
    this.caPem = deps.caPem;
    this.nameSuffix = deps.nameSuffix ?? randomNameSuffix;
    this.garbageCollector = deps.garbageCollector ?? false;
    for (const s of deps.strategies) {
      const storageGroup = s.storedAs?.group ?? s.group;
      const storageResource = s.storedAs?.resource ?? s.resource;
      const h: ResourceHandler = {
        strategy: s,
        gr: { group: s.group, resource: s.resource },
        storagePrefix: `/registry/${storageGroup || 'core'}/${storageResource}/`,
      };
      this.byGvr.set(`${s.group}/${s.version}/${s.resource}`, h);
      if (!this.byGr.has(`${s.group}/${s.resource}`)) this.byGr.set(`${s.group}/${s.resource}`, h);
    }
  }

  /** The handler serving group/version/resource, or undefined. */
  handler(group: string, version: string, resource: string): ResourceHandler | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  /** Every served handler. */
  handlers(): ResourceHandler[] {
    return [...this.byGvr.values()];
  }

  /** The StrategyContext a strategy sees during one request. */
  strategyContext(call: CallContext): StrategyContext {
    return {
      now: this.now,
      user: call.user,
      warn: (t) => call.warn(t),
      get: async (resource, group, namespace, name) => {
        const h = this.byGr.get(`${group}/${resource}`);
        if (!h) return undefined;
        const kv = await this.store.get(this.key(h, namespace ?? '', name));
        return kv ? this.decode(h, kv) : undefined;
      },
      list: async (resource, group, namespace) => {
        const h = this.byGr.get(`${group}/${resource}`);
        if (!h) return [];
        return (await this.listAll(this.prefix(h, namespace ?? ''))).map((kv) => this.decode(h, kv));
      },
    };
  }

  /** Every key under `prefix` at one revision, read in pages. */
  private async listAll(prefix: string): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    let startAfter: string | undefined;
    let revision: number | undefined;
    while (true) {
      const r = await this.store.list(prefix, { limit: STORAGE_PAGE, startAfter, revision });
      revision = r.revision;
      out.push(...r.items);
      if (!r.more || r.items.length === 0) return out;
      startAfter = r.items[r.items.length - 1].key;
    }
  }

  /** The storage key of one object. */
  key(h: ResourceHandler, namespace: string, name: string): string {
    return h.strategy.namespaced ? `${h.storagePrefix}${namespace}/${name}` : `${h.storagePrefix}${name}`;
  }

  /** The key prefix of a namespace's objects (or all of them when namespace is ''). */
  prefix(h: ResourceHandler, namespace: string): string {
    return h.strategy.namespaced && namespace ? `${h.storagePrefix}${namespace}/` : h.storagePrefix;
  }

  /** A stored value as the API object (resourceVersion = modRevision). */
  decode(h: ResourceHandler, kv: KeyValue): KubeObject {
    let obj = JSON.parse(kv.value) as KubeObject;
    obj.metadata.resourceVersion = String(kv.modRevision);
    if (h.strategy.storedAs) obj = h.strategy.storedAs.fromStorage(obj);
    return obj;
  }

  /**
   * decode() through a bounded cache keyed by key and revision, for read-only consumers (list and
   * watch answers, which are only serialized): repeated lists and many watchers of one change
   * parse each stored version once. Callers must not mutate what it returns.
   */
  private decodeShared(h: ResourceHandler, kv: KeyValue): KubeObject {
    const k = `${kv.key}@${kv.modRevision}`;
    let obj = this.decoded.get(k);
    if (obj) return obj;
    obj = this.decode(h, kv);
    this.decoded.set(k, obj);
    if (this.decoded.size > DECODED_CACHE_SIZE) {
      // Evict the oldest eighth at once so the cost of eviction stays amortized.
      let n = DECODED_CACHE_SIZE >> 3;
      for (const old of this.decoded.keys()) {
        this.decoded.delete(old);
        if (--n <= 0) break;
      }
    }
    return obj;
  }

  private encode(h: ResourceHandler, obj: KubeObject): string {
    const stored = h.strategy.storedAs ? h.strategy.storedAs.toStorage(clone(obj)) : obj;
    const rv = stored.metadata.resourceVersion;
    delete stored.metadata.resourceVersion;
    const s = JSON.stringify(stored);
    if (rv !== undefined) stored.metadata.resourceVersion = rv;
    return s;
  }

  /** GET one object. */
  async get(h: ResourceHandler, namespace: string, name: string): Promise<KubeObject> {
    let kv: KeyValue | undefined;
    try {
      kv = await this.store.get(this.key(h, namespace, name));
    } catch (e) {
      throw storeFailure(e, h.gr, name);
    }
    if (!kv) throw notFound(h.gr, name);
    return this.decode(h, kv);
  }

  /** LIST with limit/continue (one consistent revision across pages) and selectors. */
  async list(h: ResourceHandler, namespace: string, p: ListParams): Promise<ListAnswer> {
    const prefix = this.prefix(h, namespace);
    let revision = p.exactRevision;
    let startAfter: string | undefined;
    if (p.continueToken) {
      let st;
      try {
        st = decodeContinue(p.continueToken);
      } catch (e) {
        if (e instanceof ContinueTokenError) throw badRequest(e.message);
        throw e;
      }
      revision = st.rv;
      startAfter = prefix + st.start.slice(0, -1);
      if (!st.start.endsWith('\u0000')) startAfter = prefix + st.start;
    }
    const limit = p.limit && p.limit > 0 ? p.limit : 0;
    const filter = p.filter;
    const items: KubeObject[] = [];
    let readRevision: number;
    let lastKey = '';
    let more = false;
    try {
      if (revision !== undefined && revision > 0) {
        const compacted = await this.store.compactedRevision();
        if (revision < compacted) {
          if (p.continueToken) {
            const err = expired(CONTINUE_EXPIRED_MESSAGE);
            const fresh = await this.store.currentRevision();
            if (startAfter) err.status.metadata.continue = encodeContinue(fresh, startAfter.slice(prefix.length));
            throw err;
          }
          throw expired(`too old resource version: ${revision} (${compacted})`);
        }
      }
      // Read pages from storage until `limit` objects matched or the prefix is exhausted.
      while (true) {
        const want = limit ? Math.min(Math.max(limit - items.length, filter && !filter.empty ? limit : 0), STORAGE_PAGE) : STORAGE_PAGE;
        const r = await this.store.list(prefix, { limit: want, startAfter, revision });
        readRevision = r.revision;
        if (revision === undefined || revision <= 0) revision = r.revision;
        let stoppedEarly = false;
        for (let i = 0; i < r.items.length; i++) {
          const kv = r.items[i];
          const obj = this.decodeShared(h, kv);
          if (filter && !filter.empty && !filter.matches(obj)) {
            lastKey = kv.key;
            continue;
          }
          items.push(obj);
          lastKey = kv.key;
          if (limit && items.length >= limit) {
            stoppedEarly = i < r.items.length - 1 || r.more;
            break;
          }
        }
        if (limit && items.length >= limit) {
          more = stoppedEarly;
          break;
        }
        if (!r.more || r.items.length === 0) break;
        startAfter = r.items[r.items.length - 1].key;
      }
    } catch (e) {
      throw storeFailure(e, h.gr, '');
    }
    const answer: ListAnswer = { items, resourceVersion: String(readRevision) };
    if (more && lastKey) answer.continueToken = encodeContinue(readRevision, lastKey.slice(prefix.length));
    return answer;
  }

  /**
   * WATCH: yields initial ADDED events (when `initial` is given, the list it came from), then
   * changes after `fromRevision`, translated through the filter (an object leaving the selection
   * is DELETED, one entering it ADDED). A compacted start yields one ERROR event with a 410.
   */
  async *watch(h: ResourceHandler, namespace: string, opts: {
    fromRevision: number;
    filter?: ObjectFilter;
    initial?: KubeObject[];
    signal: AbortSignal;
  }): AsyncGenerator<ApiWatchEvent> {
    for (const obj of opts.initial ?? []) yield { type: 'ADDED', object: obj };
    const filter = opts.filter && !opts.filter.empty ? opts.filter : undefined;
    const prefix = this.prefix(h, namespace);
    let compacted = 0;
    try {
      compacted = await this.store.compactedRevision();
    } catch (e) {
      yield { type: 'ERROR', object: storeFailure(e, h.gr, '').status };
      return;
    }
    if (opts.fromRevision < compacted) {
      yield { type: 'ERROR', object: expired(`too old resource version: ${opts.fromRevision} (${compacted})`).status };
      return;
    }
    try {
      for await (const ev of this.store.watch(prefix, opts.fromRevision, opts.signal)) {
        const out = this.translate(h, ev, filter);
        if (out) yield out;
      }
    } catch (e) {
      if (opts.signal.aborted) return;
      if (isStoreError(e, 'Compacted')) {
        const c = await this.store.compactedRevision().catch(() => compacted);
        yield { type: 'ERROR', object: expired(`too old resource version: ${opts.fromRevision} (${c})`).status };
        return;
      }
      yield { type: 'ERROR', object: storeFailure(e, h.gr, '').status };
    }
  }

  private translate(h: ResourceHandler, ev: WatchEvent, filter: ObjectFilter | undefined): ApiWatchEvent | undefined {
    if (ev.type === 'DELETE') {
      const obj = this.decodeShared(h, { ...ev.kv, modRevision: ev.revision });
      if (filter && !filter.matches(obj)) return undefined;
      return { type: 'DELETED', object: obj };
    }
    const obj = this.decodeShared(h, ev.kv);
    const isNew = !ev.prevKv || ev.kv.createRevision === ev.revision;
    if (!filter) return { type: isNew ? 'ADDED' : 'MODIFIED', object: obj };
    const now = filter.matches(obj);
    const before = !isNew && ev.prevKv ? filter.matches(this.decodeShared(h, ev.prevKv)) : false;
    if (now && before) return { type: 'MODIFIED', object: obj };
    if (now) return { type: 'ADDED', object: obj };
    if (before) {
      // Left the selection: upstream sends DELETED with the new object at the new revision.
      return { type: 'DELETED', object: obj };
    }
    return undefined;
  }

  /** Checks the object's namespace exists and is not terminating (create only). */
  private async checkNamespace(h: ResourceHandler, namespace: string, name: string): Promise<void> {
    const nsHandler = this.byGr.get('/namespaces');
    if (!nsHandler || !h.strategy.namespaced) return;
    const kv = await this.store.get(this.key(nsHandler, '', namespace));
    if (!kv) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    const ns = JSON.parse(kv.value) as KubeObject;
    if (ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') {
      throw forbidden(h.gr, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private kindError(h: ResourceHandler, obj: KubeObject): ApiError | undefined {
    const s = h.strategy;
    const gv = s.group ? `${s.group}/${s.version}` : s.version;
    const version = (obj.apiVersion ?? '').split('/').pop();
    if (obj.kind && obj.kind !== s.kind) {
      return badRequest(`${obj.kind} in version "${version}" cannot be handled as a ${s.kind}: the object provided is unrecognized (must be of type ${s.kind})`);
    }
    if (obj.apiVersion && obj.apiVersion !== gv) {
      return badRequest(`${s.kind} in version "${version}" cannot be handled as a ${s.kind}: the API version in the data (${obj.apiVersion}) does not match the expected API version (${gv})`);
    }
    return undefined;
  }

  private checkBody(h: ResourceHandler, obj: unknown): KubeObject {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      throw badRequest(`the body of the request was not a ${h.strategy.kind} object`);
    }
    const o = obj as KubeObject;
    if (o.metadata === undefined || o.metadata === null) o.metadata = {};
    if (typeof o.metadata !== 'object' || Array.isArray(o.metadata)) throw badRequest('metadata: must be an object');
    const err = this.kindError(h, o);
    if (err) throw err;
    const s = h.strategy;
    o.apiVersion = s.group ? `${s.group}/${s.version}` : s.version;
    o.kind = s.kind;
    return o;
  }

  private setNamespace(h: ResourceHandler, obj: KubeObject, namespace: string): void {
    if (h.strategy.namespaced) {
      if (!obj.metadata.namespace) obj.metadata.namespace = namespace;
      else if (namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
    } else {
      delete obj.metadata.namespace;
    }
  }

  private fail(h: ResourceHandler, name: string, errs: FieldError[] | void | undefined): void {
    if (errs && errs.length) throw invalid(h.strategy.group, h.strategy.kind, name, errs);
  }

  /** Runs the kind's admission; AdmissionForbiddenError becomes upstream's 403. */
  private async admit(h: ResourceHandler, obj: KubeObject, old: KubeObject | undefined, ctx: StrategyContext): Promise<void> {
    try {
      this.fail(h, obj.metadata.name ?? '', await h.strategy.admit?.(obj, old, ctx));
    } catch (e) {
      if (e instanceof AdmissionForbiddenError) throw forbidden(h.gr, obj.metadata.name ?? '', e.message);
      throw e;
    }
  }

  /** CREATE: defaults, admission, validation, then one store write. */
  async create(h: ResourceHandler, namespace: string, body: unknown, call: CallContext, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = this.checkBody(h, body);
    const s = h.strategy;
    this.setNamespace(h, obj, namespace);
    const md = obj.metadata;
    if (md.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    const ctx = this.strategyContext(call);
    const now = this.now();
    delete md.uid;
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    delete md.selfLink;
    md.creationTimestamp = rfc3339(now);
    md.uid = randomUUID();
    if (s.tracksGeneration) md.generation = 1;
    else delete md.generation;
    const generated = !md.name && !!md.generateName;
    if (generated) md.name = md.generateName!.slice(0, MAX_GENERATE_NAME_LENGTH) + this.nameSuffix();
    if (!md.name) {
      throw invalid(s.group, s.kind, '', [{ type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' }]);
    }
    s.prepareForCreate?.(obj, ctx);
    if (s.namespaced) await this.checkNamespace(h, md.namespace ?? namespace, md.name);
    await this.admit(h, obj, undefined, ctx);
    this.fail(h, md.name, s.validate?.(obj, ctx));
    if (opts.dryRun) return obj;
    for (let attempt = 1; ; attempt++) {
      try {
        const kv = await this.store.create(this.key(h, md.namespace ?? '', md.name), this.encode(h, obj));
        md.resourceVersion = String(kv.modRevision);
        break;
      } catch (e) {
        if (generated && isStoreError(e, 'AlreadyExists') && attempt < GENERATE_NAME_ATTEMPTS) {
          md.name = md.generateName!.slice(0, MAX_GENERATE_NAME_LENGTH) + this.nameSuffix();
          continue;
        }
        throw storeFailure(e, h.gr, md.name);
      }
    }
    if (s.group === '' && s.resource === 'namespaces') await this.populateNamespace(md.name, call);
    return obj;
  }

  /**
   * Stores an object the server itself owns (the `kubernetes` Endpoints) with server-set metadata
   * but without the kind's user-facing admission and validation.
   */
  async createSystem(h: ResourceHandler, namespace: string, obj: KubeObject): Promise<KubeObject> {
    const md = obj.metadata;
    md.namespace = h.strategy.namespaced ? namespace : undefined;
    md.uid = randomUUID();
    md.creationTimestamp = rfc3339(this.now());
    try {
      const kv = await this.store.create(this.key(h, namespace, md.name!), this.encode(h, obj));
      md.resourceVersion = String(kv.modRevision);
      return obj;
    } catch (e) {
      throw storeFailure(e, h.gr, md.name!);
    }
  }

  /** Creates what every namespace holds until controllers take over: the default ServiceAccount and kube-root-ca.crt. */
  async populateNamespace(namespace: string, call: CallContext): Promise<void> {
    const wanted: Array<[string, KubeObject]> = [
      ['serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } }],
      ['configmaps', {
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: 'kube-root-ca.crt', namespace, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
        data: { 'ca.crt': this.caPem },
      }],
    ];
    for (const [resource, obj] of wanted) {
      const h = this.byGr.get(`/${resource}`);
      if (!h) continue;
      try {
        await this.create(h, namespace, obj, call);
      } catch (e) {
        if (e instanceof ApiErrorClass && e.code === 409) continue;
        this.log.warn({ namespace, resource, err: (e as Error).message }, 'populating namespace failed');
      }
    }
  }

  private applyFinalizerRules(h: ResourceHandler, obj: KubeObject, old: KubeObject): void {
    if (!old.metadata.deletionTimestamp) return;
    const before = new Set(old.metadata.finalizers ?? []);
    const added = (obj.metadata.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length) {
      throw invalid(h.strategy.group, h.strategy.kind, obj.metadata.name ?? '', [{
        type: 'Forbidden', field: 'metadata.finalizers',
        detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
      }]);
    }
  }

  /**
   * UPDATE (PUT) of the object or its status subresource. `mutate` computes the new object from
   * the current one (a PUT body, or a patch applied to it); it runs again when a concurrent
   * write wins and `retryOnConflict` is set. `bypassStrategy` is for server-internal writes
   * (pods/binding) that change fields the kind's update validation forbids to users.
   */
  async update(h: ResourceHandler, namespace: string, name: string, subresource: '' | 'status',
    mutate: (current: KubeObject) => Promise<unknown> | unknown, call: CallContext,
    opts: WriteOptions & { retryOnConflict?: boolean; bypassStrategy?: boolean } = {}): Promise<KubeObject> {
    const s = h.strategy;
    const ctx = this.strategyContext(call);
    const key = this.key(h, namespace, name);
    for (let attempt = 0; ; attempt++) {
      let kv: KeyValue | undefined;
      try {
        kv = await this.store.get(key);
      } catch (e) {
        throw storeFailure(e, h.gr, name);
      }
      if (!kv) throw notFound(h.gr, name);
      const old = this.decode(h, kv);
      let obj = this.checkBody(h, await mutate(clone(old)));
      let md = obj.metadata;
      if (md.name !== undefined && md.name !== name) {
        throw badRequest(`the name of the object (${md.name}) does not match the name on the URL (${name})`);
      }
      md.name = name;
      this.setNamespace(h, obj, namespace);
      let expected = kv.modRevision;
      if (md.resourceVersion) {
        const want = Number(md.resourceVersion);
        if (!Number.isInteger(want) || want <= 0) {
          throw badRequest(`resourceVersion: Invalid value: "${md.resourceVersion}": must be a positive integer`);
        }
        if (want !== kv.modRevision) throw conflict(h.gr, name);
        expected = want;
      }
      // Fields only the server sets survive from the stored object.
      md.uid = old.metadata.uid;
      md.creationTimestamp = old.metadata.creationTimestamp;
      if (old.metadata.deletionTimestamp) md.deletionTimestamp = old.metadata.deletionTimestamp;
      else delete md.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined) md.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      else delete md.deletionGracePeriodSeconds;
      if (old.metadata.generation !== undefined) md.generation = old.metadata.generation;
      else delete md.generation;
      if (subresource === 'status') {
        // A status write changes status only (plus nothing else of the object).
        const next = clone(old);
        if (obj.status === undefined) delete next.status;
        else next.status = obj.status;
        obj = next;
        md = obj.metadata;
        this.fail(h, name, s.validateStatusUpdate?.(obj, old, ctx));
      } else if (!opts.bypassStrategy) {
        if (s.subresources?.status) {
          if (old.status === undefined) delete obj.status;
          else obj.status = old.status;
        }
        s.prepareForUpdate?.(obj, old, ctx);
        if (s.tracksGeneration && JSON.stringify(obj.spec) !== JSON.stringify(old.spec)) {
          md.generation = (old.metadata.generation ?? 0) + 1;
        }
        this.applyFinalizerRules(h, obj, old);
        await this.admit(h, obj, old, ctx);
        this.fail(h, name, s.validateUpdate?.(obj, old, ctx));
      }
      md.resourceVersion = old.metadata.resourceVersion;
      const unchanged = JSON.stringify(obj) === JSON.stringify(old);
      if (unchanged || opts.dryRun) return unchanged ? old : obj;
      // The last finalizer gone from an object being deleted (with no grace period pending) removes it.
      if (md.deletionTimestamp && !(md.finalizers ?? []).length && !(md.deletionGracePeriodSeconds ?? 0)) {
        try {
          const gone = await this.store.delete(key, expected);
          await s.afterDelete?.(obj, ctx);
          md.resourceVersion = String(gone.modRevision);
          return obj;
        } catch (e) {
          if (isStoreError(e, 'Conflict') && opts.retryOnConflict && attempt < 5) continue;
          throw storeFailure(e, h.gr, name);
        }
      }
      try {
        const out = await this.store.update(key, this.encode(h, obj), expected);
        md.resourceVersion = String(out.modRevision);
        return obj;
      } catch (e) {
        if (isStoreError(e, 'Conflict') && opts.retryOnConflict && attempt < 5) continue;
        throw storeFailure(e, h.gr, name);
      }
    }
  }

  /**
   * DELETE: graceful deletion and finalizers keep the object (with deletionTimestamp) and return
   * it; otherwise the object goes at once and a Success Status with its uid comes back.
   */
  async delete(h: ResourceHandler, namespace: string, name: string, options: DeleteOptions, call: CallContext): Promise<KubeObject | Status> {
    const s = h.strategy;
    const ctx = this.strategyContext(call);
    const key = this.key(h, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key).catch((e) => { throw storeFailure(e, h.gr, name); });
      if (!kv) throw notFound(h.gr, name);
      const obj = this.decode(h, kv);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw conflict(h.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw conflict(h.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
      }
      if (s.group === '' && s.resource === 'namespaces') return this.deleteNamespace(h, obj, kv, options);
      if (this.garbageCollector && !obj.metadata.deletionTimestamp) {
        const gcFinalizer = options.propagationPolicy === 'Foreground' ? 'foregroundDeletion' : options.propagationPolicy === 'Orphan' ? 'orphan' : undefined;
        if (gcFinalizer && !(obj.metadata.finalizers ?? []).includes(gcFinalizer)) {
          obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), gcFinalizer];
        }
      }
      const finalizers = obj.metadata.finalizers ?? [];
      const grace = s.gracePeriod ? s.gracePeriod(obj, options.gracePeriodSeconds) : 0;
      if (obj.metadata.deletionTimestamp) {
        // Already being deleted: only a shorter grace period (a kubelet's or a forced delete)
        // changes anything; with finalizers left the object still stays.
        const current = obj.metadata.deletionGracePeriodSeconds ?? 0;
        if (grace >= current) return obj;
      }
      if (finalizers.length || grace > 0) {
        obj.metadata.deletionTimestamp = rfc3339(new Date(this.now().getTime() + grace * 1000));
        obj.metadata.deletionGracePeriodSeconds = grace;
        if (options.dryRun) return obj;
        try {
          const out = await this.store.update(key, this.encode(h, obj), kv.modRevision);
          obj.metadata.resourceVersion = String(out.modRevision);
          return obj;
        } catch (e) {
          if (isStoreError(e, 'Conflict') && attempt < 5) continue;
          throw storeFailure(e, h.gr, name);
        }
      }
      if (options.dryRun) return obj;
      try {
        await this.store.delete(key, kv.modRevision);
      } catch (e) {
        if (isStoreError(e, 'Conflict') && attempt < 5) continue;
        throw storeFailure(e, h.gr, name);
      }
      await s.afterDelete?.(obj, ctx).catch((e) => this.log.warn({ resource: s.resource, name, err: (e as Error).message }, 'afterDelete failed'));
      const details: Status['details'] = { name };
      if (s.group) details.group = s.group;
      details.kind = s.resource;
      details.uid = obj.metadata.uid;
      return successStatus(details);
    }
  }

  /** Namespace deletion: mark Terminating, empty it in the background, then remove it. */
  private async deleteNamespace(h: ResourceHandler, ns: KubeObject, kv: KeyValue, options: DeleteOptions): Promise<KubeObject> {
    const name = ns.metadata.name!;
    // Upstream's NamespaceLifecycle admission keeps the system namespaces.
    if (IMMORTAL_NAMESPACES.has(name)) throw forbidden(h.gr, name, 'this namespace may not be deleted');
    if (!ns.metadata.deletionTimestamp) {
      ns.metadata.deletionTimestamp = rfc3339(this.now());
      ns.metadata.deletionGracePeriodSeconds = 0;
      ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
      if (options.dryRun) return ns;
      try {
        const out = await this.store.update(this.key(h, '', name), this.encode(h, ns), kv.modRevision);
        ns.metadata.resourceVersion = String(out.modRevision);
      } catch (e) {
        throw storeFailure(e, h.gr, name);
      }
    }
    if (!this.terminating.has(name)) {
      const done = this.finalizeNamespace(h, name)
        .catch((e) => this.log.warn({ namespace: name, err: (e as Error).message }, 'namespace termination failed'))
        .finally(() => this.terminating.delete(name));
      this.terminating.set(name, done);
    }
    return ns;
  }

  /** Resolves when every namespace termination started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.terminating.values()]);
  }

  private async finalizeNamespace(nsHandler: ResourceHandler, name: string): Promise<void> {
    const seen = new Set<string>();
    for (const h of this.byGvr.values()) {
      if (!h.strategy.namespaced || seen.has(h.storagePrefix)) continue;
      seen.add(h.storagePrefix);
      for (const kv of await this.listAll(this.prefix(h, name))) {
        try {
          await this.store.delete(kv.key);
        } catch (e) {
          if (!isStoreError(e, 'NotFound')) throw e;
        }
      }
    }
    try {
      await this.store.delete(this.key(nsHandler, '', name));
    } catch (e) {
      if (!isStoreError(e, 'NotFound')) throw e;
    }
  }

  /** DELETE on a collection: deletes every selected object, answering with the list of them. */
  async deleteCollection(h: ResourceHandler, namespace: string, filter: ObjectFilter | undefined, options: DeleteOptions, call: CallContext): Promise<KubeObject[]> {
    const listed = await this.list(h, namespace, { filter });
    const out: KubeObject[] = [];
    for (const obj of listed.items) {
      try {
        const r = await this.delete(h, obj.metadata.namespace ?? '', obj.metadata.name!, options, call);
        out.push((r as Status).kind === 'Status' ? obj : (r as KubeObject));
      } catch (e) {
        if (e instanceof ApiErrorClass && e.code === 404) continue;
        throw e;
      }
    }
    return out;
  }

  /** Creates `obj` unless an object of that name exists (idempotent bootstrap). */
  async ensure(group: string, resource: string, namespace: string, obj: KubeObject, call: CallContext): Promise<void> {
    const h = this.byGr.get(`${group}/${resource}`);
    if (!h) return;
    const kv = await this.store.get(this.key(h, namespace, obj.metadata.name!));
    if (kv) {
      if (group === '' && resource === 'namespaces') await this.populateNamespace(obj.metadata.name!, call);
      return;
    }
    try {
      await this.create(h, namespace, obj, call);
    } catch (e) {
      if (e instanceof ApiErrorClass && e.code === 409) return;
      throw e;
    }
  }

  /** Finishes terminations interrupted by a restart (namespaces left in Terminating). */
  async resumeTerminations(): Promise<void> {
    const h = this.byGr.get('/namespaces');
    if (!h) return;
    for (const kv of await this.listAll(h.storagePrefix)) {
      const ns = this.decode(h, kv);
      if (ns.metadata.deletionTimestamp) await this.deleteNamespace(h, ns, kv, {});
    }
  }
}
