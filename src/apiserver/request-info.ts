// Turns a URL path and method into what a resource request asks for, as upstream's
// RequestInfoFactory does (k8s.io/apiserver pkg/endpoints/request/requestinfo.go): API prefix,
// group/version, namespace, resource, name, subresource and verb.

/** A parsed resource request. Paths that are not resource requests yield undefined. */
export interface RequestInfo {
  group: string;
  version: string;
  /** Namespace from the path, '' when none. */
  namespace: string;
  resource: string;
  /** Object name, '' for collection requests. */
  name: string;
  subresource: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';
  /** Path prefix without the resource part: `/api/v1` or `/apis/apps/v1`. */
  groupVersionPath: string;
}

/** Subresources of namespaces that stay on the namespace object (upstream's namespaceSubresources). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** True when a watch query parameter asks for a watch (`watch=1`, `watch=true`). */
export function isWatchParam(v: string | null): boolean {
  return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * Parses `method` + `path` (no query) for a resource request under /api or /apis. Returns the
 * group-version part alone (resource '') for discovery paths such as `/api/v1`.
 */
export function parseRequestInfo(method: string, path: string, watchParam: string | null): RequestInfo | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length < 2) return undefined;
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 3) return undefined;
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  const groupVersionPath = group ? `/apis/${group}/${version}` : `/api/${version}`;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  const subresource = rest.slice(2).join('/');
  if (rest.length > 3) return undefined;
  let verb: RequestInfo['verb'];
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watchPath || isWatchParam(watchParam)) verb = 'watch';
      else verb = name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = 'connect';
  }
  return { group, version, namespace, resource, name, subresource, verb, groupVersionPath };
}
