// An in-memory stand-in for the API client, for the unit tests of pod config and volumes: gets
// and lists of stored objects (404 answered as the API server does) and scripted raw requests
// (TokenRequest). Methods the kubelet's config code never calls reject.
import { ApiStatusError, type ApiList, type ApiObject, type Client, type ResourceRef } from '../../client/index.js';

/** One raw request the fake received. */
export interface FakeRequest {
  method: string;
  path: string;
  body: unknown;
}

/** The fake and what it recorded. */
export interface FakeClient extends Client {
  /** Objects by `<resource>/<namespace>/<name>`. */
  readonly objects: Map<string, ApiObject>;
  /** Raw requests in order. */
  readonly requests: FakeRequest[];
  /** Stores (or replaces) an object of a resource. */
  put(resource: string, obj: ApiObject): void;
}

/** Creates the fake; `onRequest` answers raw requests (throw an ApiStatusError to fail one). */
export function createFakeClient(onRequest: (req: FakeRequest) => unknown = () => { throw new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource'); }): FakeClient {
  const objects = new Map<string, ApiObject>();
  const requests: FakeRequest[] = [];
  const key = (ref: ResourceRef, ns: string, name: string) => `${ref.resource}/${ns}/${name}`;
  const unsupported = async (): Promise<never> => { throw new Error('not supported by the fake client'); };
  return {
    objects,
    requests,
    config: { server: 'https://127.0.0.1:1', caPem: '' },
    put(resource, obj) {
      objects.set(`${resource}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj);
    },
    async get<T extends ApiObject>(ref: ResourceRef, ns: string, name: string): Promise<T> {
      const o = objects.get(key(ref, ns, name));
      if (!o) throw new ApiStatusError(404, 'NotFound', `${ref.resource} "${name}" not found`);
      return structuredClone(o) as T;
    },
    async list<T extends ApiObject>(ref: ResourceRef, ns: string): Promise<ApiList<T>> {
      const prefix = `${ref.resource}/${ns}/`;
      const items = [...objects].filter(([k]) => (ns ? k.startsWith(prefix) : k.startsWith(`${ref.resource}/`))).map(([, v]) => structuredClone(v) as T);
      return { items, metadata: {} };
    },
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const req = { method, path, body };
      requests.push(req);
      return onRequest(req) as T;
    },
    create: unsupported,
    update: unsupported,
    updateStatus: unsupported,
    patch: unsupported,
    delete: unsupported,
    watch: () => ({ [Symbol.asyncIterator]: () => ({ next: unsupported }) }),
    close: () => undefined,
  };
}
