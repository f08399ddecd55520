// OpenAPI v3 documents, one per served group-version, built from the strategies and the compact
// schemas. Shapes follow upstream's /openapi/v3/<path> documents (kubectl-wire.md 2.1, 2.2):
// every operation carries an object `x-kubernetes-group-version-kind` and inline parameters
// (kubectl matches the `fieldValidation` parameter by name on the PATCH operation of a GVK), and
// every kind schema an array `x-kubernetes-group-version-kind`, which `kubectl explain` looks up.
import type { ResourceStrategy } from '../resources/types.js';
import type { CompactSchema } from './compact.js';

/** Kubernetes release the documents describe (DESIGN.md: compatibility target 1.32). */
export const OPENAPI_INFO = { title: 'Kubernetes', version: 'v1.32.0' };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const REF = '#/components/schemas/';

type Json = Record<string, unknown>;

/** A group/version/kind triple as it appears in OpenAPI extensions. */
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** The key of a GVK in lookup maps. */
export function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/** The discovery path of a group-version: 'api/v1' or 'apis/<group>/<version>'. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The name under which a kind with no upstream schema facts is published. */
export function fallbackDefinitionName(g: Gvk): string {
  return `dev.berth.${g.group || 'core'}.${g.version}.${g.kind}`;
}

/** Subresources that take a body of another kind: the name and the kind of the body. */
const BODY_SUBRESOURCES: Record<string, Gvk> = {
  token: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
  binding: { group: '', version: 'v1', kind: 'Binding' },
  eviction: { group: 'policy', version: 'v1', kind: 'Eviction' },
};
const SCALE: Gvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

function pascal(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Upstream's operationId prefix for a group-version: CoreV1, AppsV1, EventsV1, DiscoveryV1... */
function opGroup(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return g.split('.').map(pascal).join('') + pascal(version);
}

function queryParam(name: string, type: 'string' | 'integer' | 'boolean'): Json {
  return { name, in: 'query', schema: { type, uniqueItems: true } };
}
const PATH_NAME = { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } };
const PATH_NAMESPACE = { name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } };
const PRETTY = queryParam('pretty', 'string');
const WRITE_PARAMS = [queryParam('dryRun', 'string'), queryParam('fieldManager', 'string'), queryParam('fieldValidation', 'string')];
const PATCH_PARAMS = [...WRITE_PARAMS, queryParam('force', 'boolean')];
const LIST_PARAMS = [
  queryParam('allowWatchBookmarks', 'boolean'), queryParam('continue', 'string'), queryParam('fieldSelector', 'string'),
  queryParam('labelSelector', 'string'), queryParam('limit', 'integer'), queryParam('resourceVersion', 'string'),
  queryParam('resourceVersionMatch', 'string'), queryParam('sendInitialEvents', 'boolean'),
  queryParam('timeoutSeconds', 'integer'), queryParam('watch', 'boolean'),
];
const DELETE_PARAMS = [
  queryParam('dryRun', 'string'), queryParam('gracePeriodSeconds', 'integer'),
  queryParam('orphanDependents', 'boolean'), queryParam('propagationPolicy', 'string'),
];
const PATCH_TYPES = [
  'application/apply-patch+yaml', 'application/json-patch+json',
  'application/merge-patch+json', 'application/strategic-merge-patch+json',
];

function ref(name: string): Json {
  return { $ref: REF + name };
}

function content(schemaName: string): Json {
  return { 'application/json': { schema: ref(schemaName) }, 'application/yaml': { schema: ref(schemaName) } };
}

function responses(codes: string[], schemaName: string): Json {
  const out: Json = {};
  for (const c of codes) out[c] = { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', content: content(schemaName) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

/** Resolves a GVK to the definition name its schema is published under. */
export type DefinitionLookup = (g: Gvk) => string;

interface OpSpec {
  action: 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';
  id: string;
  gvk: Gvk;
  body?: string;
  response: string;
  codes: string[];
  params: Json[];
}

function operation(o: OpSpec, tag: string): Json {
  const op: Json = {
    tags: [tag],
    operationId: o.id,
    parameters: o.params,
    responses: responses(o.codes, o.response),
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': { group: o.gvk.group, version: o.gvk.version, kind: o.gvk.kind },
  };
  if (o.body) {
    const types = o.action === 'patch' ? PATCH_TYPES : ['application/json', 'application/yaml'];
    const c: Json = {};
    for (const t of types) c[t] = { schema: ref(o.body) };
    op.requestBody = { content: c, required: o.action !== 'delete' && o.action !== 'deletecollection' };
  }
  return op;
}

const HTTP_METHOD: Record<OpSpec['action'], string> = {
  get: 'get', list: 'get', post: 'post', put: 'put', patch: 'patch', delete: 'delete', deletecollection: 'delete',
};

/**
 * The `paths` of one group-version document, for the strategies of that group-version.
 * Also returns the definition names the operations reference, to seed the components.
 */
export function buildPaths(strategies: ResourceStrategy[], lookup: DefinitionLookup): { paths: Json; roots: Set<string> } {
  const paths: Record<string, Json> = {};
  const roots = new Set<string>([`${META}.Status`, `${META}.DeleteOptions`, `${META}.Patch`]);
  const add = (path: string, namespaced: boolean, withName: boolean, ops: OpSpec[], tag: string): void => {
    if (!ops.length) return;
    const entry: Json = paths[path] ?? {};
    for (const o of ops) {
      entry[HTTP_METHOD[o.action]] = operation(o, tag);
      roots.add(o.response);
      if (o.body) roots.add(o.body);
    }
    const params: Json[] = [];
    if (withName) params.push(PATH_NAME);
    if (namespaced) params.push(PATH_NAMESPACE);
    params.push(PRETTY);
    entry.parameters = params;
    paths[path] = entry;
  };

  for (const s of strategies) {
    if (s.resource.includes('/')) continue;
    const gvk: Gvk = { group: s.group, version: s.version, kind: s.kind };
    const def = lookup(gvk);
    const listDef = lookup({ ...gvk, kind: `${s.kind}List` });
    const prefix = `/${groupVersionPath(s.group, s.version)}`;
    const base = s.namespaced ? `${prefix}/namespaces/{namespace}/${s.resource}` : `${prefix}/${s.resource}`;
    const scope = s.namespaced ? 'Namespaced' : '';
    const og = opGroup(s.group, s.version);
    const tag = `${s.group === '' ? 'core' : s.group.replace(/\.k8s\.io$/, '').replace(/\./g, '_')}_${s.version}`;
    const has = (v: string) => s.verbs.includes(v);
    const deleteStatus = `${META}.Status`;

    const collection: OpSpec[] = [];
    if (has('list')) collection.push({ action: 'list', id: `list${og}${scope}${s.kind}`, gvk, response: listDef, codes: ['200'], params: LIST_PARAMS });
    if (has('create')) collection.push({ action: 'post', id: `create${og}${scope}${s.kind}`, gvk, body: def, response: def, codes: ['200', '201', '202'], params: WRITE_PARAMS });
    if (has('deletecollection')) {
      collection.push({ action: 'deletecollection', id: `delete${og}Collection${scope}${s.kind}`, gvk, body: `${META}.DeleteOptions`, response: deleteStatus, codes: ['200'], params: [...DELETE_PARAMS, ...LIST_PARAMS] });
    }
    add(base, s.namespaced, false, collection, tag);

    const item: OpSpec[] = [];
    if (has('get')) item.push({ action: 'get', id: `read${og}${scope}${s.kind}`, gvk, response: def, codes: ['200'], params: [] });
    if (has('update')) item.push({ action: 'put', id: `replace${og}${scope}${s.kind}`, gvk, body: def, response: def, codes: ['200', '201'], params: WRITE_PARAMS });
    if (has('patch')) item.push({ action: 'patch', id: `patch${og}${scope}${s.kind}`, gvk, body: `${META}.Patch`, response: def, codes: ['200', '201'], params: PATCH_PARAMS });
    if (has('delete')) item.push({ action: 'delete', id: `delete${og}${scope}${s.kind}`, gvk, body: `${META}.DeleteOptions`, response: def, codes: ['200', '202'], params: DELETE_PARAMS });
    add(`${base}/{name}`, s.namespaced, true, item, tag);

    if (s.namespaced && has('list')) {
      add(`${prefix}/${s.resource}`, false, false, [
        { action: 'list', id: `list${og}${s.kind}ForAllNamespaces`, gvk, response: listDef, codes: ['200'], params: LIST_PARAMS },
      ], tag);
    }

    if (s.subresources?.status) {
      add(`${base}/{name}/status`, s.namespaced, true, [
        { action: 'get', id: `read${og}${scope}${s.kind}Status`, gvk, response: def, codes: ['200'], params: [] },
        { action: 'put', id: `replace${og}${scope}${s.kind}Status`, gvk, body: def, response: def, codes: ['200', '201'], params: WRITE_PARAMS },
        { action: 'patch', id: `patch${og}${scope}${s.kind}Status`, gvk, body: `${META}.Patch`, response: def, codes: ['200', '201'], params: PATCH_PARAMS },
      ], tag);
    }
    if (s.subresources?.scale) {
      const scale = lookup(SCALE);
      add(`${base}/{name}/scale`, s.namespaced, true, [
        { action: 'get', id: `read${og}${scope}${s.kind}Scale`, gvk: SCALE, response: scale, codes: ['200'], params: [] },
        { action: 'put', id: `replace${og}${scope}${s.kind}Scale`, gvk: SCALE, body: scale, response: scale, codes: ['200', '201'], params: WRITE_PARAMS },
        { action: 'patch', id: `patch${og}${scope}${s.kind}Scale`, gvk: SCALE, body: `${META}.Patch`, response: scale, codes: ['200', '201'], params: PATCH_PARAMS },
      ], tag);
    }
    for (const extra of s.subresources?.extra ?? []) {
      const bodyGvk = BODY_SUBRESOURCES[extra];
      if (!bodyGvk) continue;
      const body = lookup(bodyGvk);
      add(`${base}/{name}/${extra}`, s.namespaced, true, [
        { action: 'post', id: `create${og}${scope}${s.kind}${pascal(extra)}`, gvk: bodyGvk, body, response: body, codes: ['200', '201', '202'], params: WRITE_PARAMS },
      ], tag);
    }
  }
  return { paths, roots };
}

/** All definition names reachable from `roots` through $refs. */
export function closure(defs: Record<string, CompactSchema>, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  const visit = (n: CompactSchema): void => {
    if (n.r) stack.push(n.r);
    if (n.p) for (const v of Object.values(n.p)) visit(v);
    if (n.a) visit(n.a);
    if (n.i) visit(n.i);
  };
  while (stack.length) {
    const name = stack.pop() as string;
    if (seen.has(name) || !defs[name]) continue;
    seen.add(name);
    visit(defs[name]);
  }
  return [...seen].sort();
}

/** Expands one compact node into an OpenAPI v3 schema object. */
export function toOpenApiV3(n: CompactSchema): Json {
  const out: Json = n.r ? { allOf: [ref(n.r)] } : {};
  if (n.t) out.type = n.t;
  if (n.f) out.format = n.f;
  if (n.p) {
    const props: Json = {};
    for (const [k, v] of Object.entries(n.p)) props[k] = toOpenApiV3(v);
    out.properties = props;
  }
  if (n.a) out.additionalProperties = toOpenApiV3(n.a);
  if (n.i) out.items = toOpenApiV3(n.i);
  if (n.q) out.required = n.q;
  if (n.e) out.enum = n.e;
  if (n.lk) out['x-kubernetes-list-map-keys'] = n.lk;
  if (n.lt) out['x-kubernetes-list-type'] = n.lt;
  if (n.mt) out['x-kubernetes-map-type'] = n.mt;
  if (n.mk) out['x-kubernetes-patch-merge-key'] = n.mk;
  if (n.ps) out['x-kubernetes-patch-strategy'] = n.ps;
  if (n.u) out['x-kubernetes-preserve-unknown-fields'] = true;
  if (n.g) out['x-kubernetes-group-version-kind'] = n.g.map(([group, version, kind]) => ({ group, kind, version }));
  return out;
}
