// The API client every component except the apiserver uses (controllers, scheduler, kubelet,
// proxy, CLI): HTTPS with the cluster CA and a client certificate or bearer token, JSON bodies,
// Kubernetes Status errors as ApiStatusError, and watches as async iterables of events.
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** Where a kind is served. */
export interface ResourceRef {
  group: string;
  version: string;
  /** Plural resource name, e.g. 'pods'. */
  resource: string;
  namespaced: boolean;
}

/** Connection settings (what a kubeconfig holds). */
export interface ClientConfig {
  /** `https://HOST:PORT`. */
  server: string;
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /** User-Agent sent with every request. */
  userAgent?: string;
}

/** A Kubernetes object as the client sees it. */
export type ApiObject = {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
};

/** A list answer. */
export interface ApiList<T extends ApiObject = ApiObject> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

/** One watch event. */
export interface ClientWatchEvent<T extends ApiObject = ApiObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A non-2xx answer, carrying the server's Status. */
export class ApiStatusError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly status?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

/** True for an ApiStatusError with the given HTTP code. */
export function isStatusCode(e: unknown, code: number): e is ApiStatusError {
  return e instanceof ApiStatusError && e.code === code;
}

/** List/watch options. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

/** Watch options. */
export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** Patch content types. */
export type PatchType = 'merge' | 'strategic' | 'json';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/** The typed client. Every method throws ApiStatusError for a non-2xx answer. */
export interface Client {
  readonly config: ClientConfig;
  get<T extends ApiObject = ApiObject>(ref: ResourceRef, namespace: string, name: string): Promise<T>;
  list<T extends ApiObject = ApiObject>(ref: ResourceRef, namespace: string, opts?: ListOptions): Promise<ApiList<T>>;
  create<T extends ApiObject = ApiObject>(ref: ResourceRef, namespace: string, obj: T): Promise<T>;
  update<T extends ApiObject = ApiObject>(ref: ResourceRef, obj: T): Promise<T>;
  /** PUT to the status subresource. */
  updateStatus<T extends ApiObject = ApiObject>(ref: ResourceRef, obj: T): Promise<T>;
  patch<T extends ApiObject = ApiObject>(ref: ResourceRef, namespace: string, name: string, patch: unknown, type?: PatchType, subresource?: string): Promise<T>;
  /** DELETE; resolves with the answer (the object when kept with deletionTimestamp, else a Status). */
  delete(ref: ResourceRef, namespace: string, name: string, opts?: { gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string } }): Promise<ApiObject>;
  /** Watch events until the server ends the stream or `signal` aborts. */
  watch<T extends ApiObject = ApiObject>(ref: ResourceRef, namespace: string, opts?: WatchOptions): AsyncIterable<ClientWatchEvent<T>>;
  /** A raw request: JSON in, JSON out. */
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  /** Releases keep-alive sockets. */
  close(): void;
}

/** Reads a kubeconfig's current context (inline data or file paths). */
export function loadKubeconfig(path: string): ClientConfig {
  const doc = parseYaml(readFileSync(path, 'utf8')) as Record<string, any>;
  const ctxName = doc['current-context'];
  const ctx = (doc.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? doc.contexts?.[0]?.context ?? {};
  const cluster = (doc.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster ?? {};
  const user = (doc.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? {};
  const data = (inline: unknown, file: unknown): string | undefined => {
    if (typeof inline === 'string') return Buffer.from(inline, 'base64').toString('utf8');
    if (typeof file === 'string') return readFileSync(file, 'utf8');
    return undefined;
  };
  return {
    server: String(cluster.server),
    caPem: data(cluster['certificate-authority-data'], cluster['certificate-authority']) ?? '',
    certPem: data(user['client-certificate-data'], user['client-certificate']),
    keyPem: data(user['client-key-data'], user['client-key']),
    token: typeof user.token === 'string' ? user.token : undefined,
  };
}

/** The URL path of a collection or object. */
export function resourcePath(ref: ResourceRef, namespace: string, name?: string, subresource?: string): string {
  let p = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${ref.resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

function query(opts: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined || v === '' || k === 'signal') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Creates a client. */
export function createClient(config: ClientConfig): Client {
  const url = new URL(config.server);
  const agent = new Agent({ keepAlive: true, maxSockets: 32, ca: config.caPem, cert: config.certPem, key: config.keyPem });
  const baseHeaders: Record<string, string> = { 'user-agent': config.userAgent ?? 'berth-client' };
  if (config.token) baseHeaders.authorization = `Bearer ${config.token}`;

  const open = (method: string, path: string, body: Buffer | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const h: Record<string, string> = { accept: 'application/json', ...baseHeaders, ...headers };
      if (body) h['content-length'] = String(body.length);
      const req = httpsRequest({ host: url.hostname, port: url.port || 443, method, path, agent, headers: h, signal }, resolve);
      req.on('error', reject);
      req.end(body);
    });

  const readAll = async (res: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks).toString('utf8');
  };

  const call = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h = { ...headers };
    if (payload && !h['content-type']) h['content-type'] = 'application/json';
    const res = await open(method, path, payload, h);
    const text = await readAll(res);
    const code = res.statusCode ?? 0;
    let json: any;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    if (code < 200 || code >= 300) {
      const message = json?.message ?? (text || `HTTP ${code}`);
      throw new ApiStatusError(code, json?.reason ?? '', message, json);
    }
    return json as T;
  };

  return {
    config,
    get: (ref, ns, name) => call('GET', resourcePath(ref, ns, name)),
    list: (ref, ns, opts = {}) => call('GET', resourcePath(ref, ns) + query({ ...opts })),
    create: (ref, ns, obj) => call('POST', resourcePath(ref, ns), obj),
    update: (ref, obj) => call('PUT', resourcePath(ref, obj.metadata.namespace ?? '', obj.metadata.name), obj),
    updateStatus: (ref, obj) => call('PUT', resourcePath(ref, obj.metadata.namespace ?? '', obj.metadata.name, 'status'), obj),
    patch: (ref, ns, name, patch, type = 'merge', sub) => call('PATCH', resourcePath(ref, ns, name, sub), patch, { 'content-type': PATCH_CONTENT_TYPE[type] }),
    delete: (ref, ns, name, opts = {}) => call('DELETE', resourcePath(ref, ns, name), opts),
    request: (method, path, body, headers) => call(method, path, body, headers),
    watch<T extends ApiObject>(ref: ResourceRef, ns: string, opts: WatchOptions = {}): AsyncIterable<ClientWatchEvent<T>> {
      const { signal, ...rest } = opts;
      const path = resourcePath(ref, ns) + query({ ...rest, watch: 'true' });
      return {
        async *[Symbol.asyncIterator]() {
          let res: IncomingMessage;
          try {
            res = await open('GET', path, undefined, {}, signal);
          } catch (e) {
            if (signal?.aborted) return;
            throw e;
          }
          if ((res.statusCode ?? 0) >= 300) {
            const text = await readAll(res);
            let json: any;
            try { json = JSON.parse(text); } catch { json = undefined; }
            throw new ApiStatusError(res.statusCode ?? 0, json?.reason ?? '', json?.message ?? text, json);
          }
          let buf = '';
          try {
            for await (const chunk of res as AsyncIterable<Buffer>) {
              buf += chunk.toString('utf8');
              let i: number;
              while ((i = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, i).trim();
                buf = buf.slice(i + 1);
                if (line) yield JSON.parse(line) as ClientWatchEvent<T>;
              }
            }
          } catch (e) {
            if (signal?.aborted) return;
            throw e;
          } finally {
            res.destroy();
          }
        },
      };
    },
    close: () => agent.destroy(),
  };
}

/** Refs of the kinds berth serves, for components that use them. */
export const RESOURCES = {
  namespaces: { group: '', version: 'v1', resource: 'namespaces', namespaced: false },
  pods: { group: '', version: 'v1', resource: 'pods', namespaced: true },
  nodes: { group: '', version: 'v1', resource: 'nodes', namespaced: false },
  services: { group: '', version: 'v1', resource: 'services', namespaced: true },
  endpoints: { group: '', version: 'v1', resource: 'endpoints', namespaced: true },
  secrets: { group: '', version: 'v1', resource: 'secrets', namespaced: true },
  configmaps: { group: '', version: 'v1', resource: 'configmaps', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true },
  events: { group: '', version: 'v1', resource: 'events', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
} as const satisfies Record<string, ResourceRef>;
