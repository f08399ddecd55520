// The credential keyring as upstream's kubelet builds and searches it
// (k/k pkg/credentialprovider/keyring.go, secrets/secrets.go; reference kubelet-images.md §4):
//
//   - a key is the config's server address without scheme, with a leading /v1/ or /v2/ path
//     dropped: `https://index.docker.io/v1/` -> `index.docker.io`, `registry:5000/path` stays;
//   - keys are de-duplicated and sorted reverse-lexicographically, so `quay.io/coreos` comes
//     before `quay.io`;
//   - a key matches an image repository (normalized, no tag or digest) when the ports are equal,
//     the hosts have as many dot-separated labels and each label matches as a shell glob, and
//     the key's path is a string prefix of the image's path;
//   - every matching key contributes its credentials, in index order; only when nothing
//     matched does an image on Docker Hub get the credentials stored under `index.docker.io`;
//   - the pod's secrets come first, then the node's credentials.

import { parseDockerConfigJson, parseDockercfg, type DockerConfig } from './docker-config.js';

/** Credentials found for an image; username/password only, as the basic keyring keeps them. */
export interface Credential {
  username: string;
  password: string;
  email: string;
  /** The pod secret the credential came from; absent for node credentials. */
  source?: SecretCoordinates;
}

/** Identifies a pull secret (KEP-2535 records pulls by these). */
export interface SecretCoordinates {
  namespace: string;
  name: string;
  uid: string;
}

/** The keyring seam: credentials for a repository, most specific first. */
export interface Keyring {
  /**
   * Credentials for `repository` (normalized, without tag or digest, e.g.
   * `docker.io/library/nginx`), in the order the kubelet tries them; empty when none match,
   * in which case the pull is anonymous.
   */
  lookup(repository: string): Credential[];
}

/** Docker Hub's key in configs written by `docker login` and `kubectl create secret docker-registry`. */
export const DEFAULT_REGISTRY_KEY = 'index.docker.io';

interface SplitUrl { labels: string[]; port: string; path: string }

const SCHEME_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
// scheme://[userinfo@]host[:port][path][?query][#fragment], the pieces Go's url.Parse yields.
const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?([^?#]*)/;

/** Host, port and path of `s` read as Go's url.Parse would after ParseSchemelessURL adds https://. */
function parseSchemeless(s: string): { host: string; port: string; path: string } | undefined {
  const m = URL_RE.exec(SCHEME_RE.test(s) ? s : `https://${s}`);
  if (!m) return undefined;
  const [, host, port = '', path] = m;
  if (port !== '' && !/^\d+$/.test(port)) return undefined;
  return { host, port, path };
}

/** ParseSchemelessURL + SplitURL: host labels, port and path. */
function splitSchemeless(s: string): SplitUrl | undefined {
  const u = parseSchemeless(s);
  return u && { labels: u.host.split('.'), port: u.port, path: u.path };
}

/** Go's filepath.Match for one host label (no separators inside labels). */
function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  try {
    return new RegExp(`${re}$`).test(name);
  } catch {
    return false;
  }
}

/** URLsMatchStr: does keyring key `glob` match image repository `target`? */
export function urlsMatch(glob: string, target: string): boolean {
  const g = splitSchemeless(glob);
  const t = splitSchemeless(target);
  if (!g || !t) return false;
  if (g.port !== t.port) return false;
  if (g.labels.length !== t.labels.length) return false;
  for (let i = 0; i < g.labels.length; i++) if (!globMatch(g.labels[i], t.labels[i])) return false;
  return t.path.startsWith(g.path);
}

/** isDefaultRegistryMatch: is `image` on Docker Hub? */
export function isDefaultRegistryMatch(image: string): boolean {
  const slash = image.indexOf('/');
  const first = slash < 0 ? image : image.slice(0, slash);
  if (first.length === 0) return false;
  if (slash < 0) return true;
  if (first === 'docker.io' || first === DEFAULT_REGISTRY_KEY) return true;
  return !/[.:]/.test(first);
}

/** The keyring key of a config's server address, or undefined when it does not parse. */
export function keyringKey(server: string): string | undefined {
  const u = parseSchemeless(server);
  if (!u) return undefined;
  const host = u.port === '' ? u.host : `${u.host}:${u.port}`;
  let path = u.path;
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path.length > 0 && path !== '/' ? host + path : host;
}

/** BasicDockerKeyring: keys from docker configs, searched as upstream does. */
export class BasicKeyring implements Keyring {
  private index: string[] = [];
  private readonly creds = new Map<string, Credential[]>();

  /**
   * Adds every entry of a docker config, tagged with the secret it came from if any; entries
   * whose server does not parse are skipped.
   */
  add(config: DockerConfig, source?: SecretCoordinates): this {
    for (const [server, entry] of config) {
      const key = keyringKey(server);
      if (key === undefined) continue;
      const list = this.creds.get(key) ?? [];
      list.push({ username: entry.username, password: entry.password, email: entry.email, ...(source ? { source } : {}) });
      this.creds.set(key, list);
      this.index.push(key);
    }
    this.index = [...new Set(this.index)].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    return this;
  }

  /** The sorted index, most specific first (for tests and diagnostics; holds no secrets). */
  keys(): string[] {
    return [...this.index];
  }

  /** {@inheritDoc Keyring.lookup} */
  lookup(repository: string): Credential[] {
    const out: Credential[] = [];
    for (const k of this.index) if (urlsMatch(k, repository)) out.push(...(this.creds.get(k) ?? []));
    if (out.length > 0) return out;
    if (isDefaultRegistryMatch(repository)) return [...(this.creds.get(DEFAULT_REGISTRY_KEY) ?? [])];
    return [];
  }
}

/** UnionDockerKeyring: each keyring's matches, in order. */
export class UnionKeyring implements Keyring {
  /** Keyrings searched in order; earlier ones' credentials are tried first. */
  constructor(private readonly rings: Keyring[]) {}

  /** {@inheritDoc Keyring.lookup} */
  lookup(repository: string): Credential[] {
    return this.rings.flatMap((r) => r.lookup(repository));
  }
}

/** The part of a Secret the keyring reads (core/v1 Secret: `data` values are base64). */
export interface PullSecret {
  metadata?: { name?: string; namespace?: string; uid?: string };
  type?: string;
  data?: Record<string, string>;
}

/** Secret types and keys the kubelet reads (core/v1 types.go). */
export const SECRET_TYPE_DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
export const SECRET_TYPE_DOCKERCFG = 'kubernetes.io/dockercfg';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
export const DOCKERCFG_KEY = '.dockercfg';

/**
 * MakeDockerKeyring: the pod's pull secrets (only `kubernetes.io/dockerconfigjson` with a
 * non-empty `.dockerconfigjson`, and `kubernetes.io/dockercfg` with a non-empty `.dockercfg`;
 * anything else is ignored) in one keyring ahead of the node's. Throws the parse error of a
 * malformed secret, which fails the pull as upstream's does.
 */
export function makePodKeyring(secrets: PullSecret[], node: Keyring): Keyring {
  const configs: [DockerConfig, SecretCoordinates][] = [];
  for (const s of secrets) {
    const json = s.data?.[DOCKER_CONFIG_JSON_KEY];
    const cfg = s.data?.[DOCKERCFG_KEY];
    const coords = { namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', uid: s.metadata?.uid ?? '' };
    if (s.type === SECRET_TYPE_DOCKER_CONFIG_JSON && json) {
      configs.push([parseDockerConfigJson(Buffer.from(json, 'base64')), coords]);
    } else if (s.type === SECRET_TYPE_DOCKERCFG && cfg) {
      configs.push([parseDockercfg(Buffer.from(cfg, 'base64')), coords]);
    }
  }
  if (configs.length === 0) return node;
  const pod = new BasicKeyring();
  for (const [c, coords] of configs) pod.add(c, coords);
  return new UnionKeyring([pod, node]);
}
