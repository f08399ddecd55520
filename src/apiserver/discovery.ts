// Discovery documents, built once from the strategies at start (kubectl-wire.md section 1):
// aggregated discovery v2/v2beta1 on /api and /apis (with the exact Content-Type kubectl needs),
// and the legacy APIVersions, APIGroupList, APIGroup and APIResourceList documents.
import { createHash } from 'node:crypto';
import type { ResourceStrategy } from './resources/types.js';

/** A rendered document with its ETag. */
export interface DiscoveryDocument {
  body: Buffer;
  etag: string;
  contentType: string;
}

/** Every discovery document the server answers, keyed as below. */
export interface Discovery {
  /** Aggregated discovery for `/api` or `/apis` in apidiscovery.k8s.io v2 or v2beta1. */
  aggregated(path: '/api' | '/apis', version: 'v2' | 'v2beta1'): DiscoveryDocument;
  /** Legacy documents: `/api`, `/apis`, `/apis/<g>`, `/api/v1`, `/apis/<g>/<v>`; undefined when not served. */
  legacy(path: string): DiscoveryDocument | undefined;
}

interface SubresourceInfo {
  kind: { group: string; version: string; kind: string };
  verbs: string[];
}

/** Kind and verbs of a subresource, as upstream registers them. */
function subresourceInfo(s: ResourceStrategy, sub: string): SubresourceInfo {
  const own = { group: s.group, version: s.version, kind: s.kind };
  const core = (kind: string) => ({ group: '', version: 'v1', kind });
  switch (sub) {
    case 'status': return { kind: own, verbs: ['get', 'patch', 'update'] };
    case 'scale': return { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] };
    case 'binding': return { kind: core('Binding'), verbs: ['create'] };
    case 'log': return { kind: own, verbs: ['get'] };
    case 'exec': return { kind: core('PodExecOptions'), verbs: ['create', 'get'] };
    case 'attach': return { kind: core('PodAttachOptions'), verbs: ['create', 'get'] };
    case 'portforward': return { kind: core('PodPortForwardOptions'), verbs: ['create', 'get'] };
    case 'token': return { kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] };
    case 'eviction': return { kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] };
    case 'finalize': return { kind: own, verbs: ['update'] };
    case 'ephemeralcontainers': return { kind: own, verbs: ['get', 'patch', 'update'] };
    default: return { kind: own, verbs: ['get'] };
  }
}

/** The subresource names a strategy serves, in upstream's order (status, scale, then extras). */
export function subresourcesOf(s: ResourceStrategy): string[] {
  const out: string[] = [];
  if (s.subresources?.status) out.push('status');
  if (s.subresources?.scale) out.push('scale');
  for (const e of s.subresources?.extra ?? []) if (!out.includes(e)) out.push(e);
  return out;
}

function doc(body: unknown, contentType: string): DiscoveryDocument {
  const buf = Buffer.from(JSON.stringify(body));
  return { body: buf, etag: `"${createHash('sha256').update(buf).digest('hex')}"`, contentType };
}

/** Builds every discovery document once. */
export function buildDiscovery(strategies: ResourceStrategy[], serverAddress: string): Discovery {
  // group -> version -> strategies, in the order the strategies come (first version preferred).
  const groups = new Map<string, Map<string, ResourceStrategy[]>>();
  for (const s of strategies) {
    let g = groups.get(s.group);
    if (!g) groups.set(s.group, (g = new Map()));
    let v = g.get(s.version);
    if (!v) g.set(s.version, (v = []));
    v.push(s);
  }

  const aggregatedResource = (s: ResourceStrategy) => {
    const r: Record<string, unknown> = {
      resource: s.resource,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      scope: s.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: s.singular,
      verbs: [...s.verbs].sort(),
    };
    if (s.shortNames?.length) r.shortNames = s.shortNames;
    if (s.categories?.length) r.categories = s.categories;
    const subs = subresourcesOf(s);
    if (subs.length) {
      r.subresources = subs.map((sub) => {
        const info = subresourceInfo(s, sub);
        return { subresource: sub, responseKind: info.kind, verbs: info.verbs };
      });
    }
    return r;
  };

  const aggregatedGroup = (group: string, versions: Map<string, ResourceStrategy[]>) => ({
    metadata: group ? { name: group } : {},
    versions: [...versions.entries()].map(([version, ss]) => ({
      version,
      resources: ss.map(aggregatedResource),
      freshness: 'Current',
    })),
  });

  const aggregatedCache = new Map<string, DiscoveryDocument>();
  const aggregated = (path: '/api' | '/apis', version: 'v2' | 'v2beta1'): DiscoveryDocument => {
    const k = `${path} ${version}`;
    let d = aggregatedCache.get(k);
    if (!d) {
      const items = [...groups.entries()].filter(([g]) => (path === '/api' ? g === '' : g !== '')).map(([g, vs]) => aggregatedGroup(g, vs));
      d = doc(
        { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items },
        `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`,
      );
      aggregatedCache.set(k, d);
    }
    return d;
  };

  const legacyDocs = new Map<string, DiscoveryDocument>();
  const json = 'application/json';
  const apiGroup = (group: string, versions: Map<string, ResourceStrategy[]>) => {
    const vs = [...versions.keys()].map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { name: group, versions: vs, preferredVersion: vs[0] };
  };
  legacyDocs.set('/api', doc({
    kind: 'APIVersions',
    versions: [...(groups.get('')?.keys() ?? [])],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  }, json));
  legacyDocs.set('/apis', doc({
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: [...groups.entries()].filter(([g]) => g !== '').map(([g, vs]) => apiGroup(g, vs)),
  }, json));
  for (const [g, vs] of groups) {
    if (g) legacyDocs.set(`/apis/${g}`, doc({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g, vs) }, json));
    for (const [v, ss] of vs) {
      const resources: unknown[] = [];
      for (const s of ss) {
        const r: Record<string, unknown> = {
          name: s.resource, singularName: s.singular, namespaced: s.namespaced, kind: s.kind, verbs: [...s.verbs].sort(),
        };
        if (s.shortNames?.length) r.shortNames = s.shortNames;
        if (s.categories?.length) r.categories = s.categories;
        resources.push(r);
        for (const sub of subresourcesOf(s)) {
          const info = subresourceInfo(s, sub);
          const sr: Record<string, unknown> = { name: `${s.resource}/${sub}`, singularName: '', namespaced: s.namespaced };
          if (info.kind.group !== s.group || info.kind.version !== s.version) {
            sr.group = info.kind.group;
            sr.version = info.kind.version;
          }
          sr.kind = info.kind.kind;
          sr.verbs = info.verbs;
          resources.push(sr);
        }
      }
      const gv = g ? `${g}/${v}` : v;
      legacyDocs.set(g ? `/apis/${g}/${v}` : `/api/${v}`, doc({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources }, json));
    }
  }

  return {
    aggregated,
    legacy: (path) => legacyDocs.get(path.replace(/\/+$/, '') || '/'),
  };
}
