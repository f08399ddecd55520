// Image references as docker's reference grammar parses them (github.com/distribution/reference
// v0.6: regexp.go, reference.go, normalize.go), and the kubelet's reading of them
// (k/k pkg/util/parsers ParseImageName): `nginx` is docker.io/library/nginx, tag `latest`.

/** Upstream's ErrReferenceInvalidFormat text. */
export const INVALID_REFERENCE_FORMAT = 'invalid reference format';
const NAME_TOTAL_LENGTH_MAX = 255;
const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';

// Grammar pieces from regexp.go.
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePattern = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${domainAndPort})/)?(${pathComponent}(?:/${pathComponent})*)$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** A parsed, normalized reference. */
export interface ImageReference {
  /** Registry host (and port), e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  path: string;
  /** `domain/path`, e.g. `docker.io/library/nginx` (upstream's Named.Name()). */
  name: string;
  tag?: string;
  digest?: string;
}

/** The outcome of parsing: a reference, or upstream's error text. */
export type ParseResult = { ok: true; ref: ImageReference } | { ok: false; error: string };

function splitDockerDomain(s: string): { domain: string; remainder: string } {
  const i = s.indexOf('/');
  let domain: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(s.slice(0, i)) && s.slice(0, i) !== 'localhost' && s.slice(0, i).toLowerCase() === s.slice(0, i))) {
    domain = DEFAULT_DOMAIN;
    remainder = s;
  } else {
    domain = s.slice(0, i);
    remainder = s.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

function validateDigest(d: string): string | undefined {
  const [alg, hex] = d.split(':', 2);
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  if (!(alg in lengths)) return 'unsupported digest algorithm';
  if (hex.length !== lengths[alg]) return 'invalid checksum digest length';
  if (!/^[a-f0-9]+$/.test(hex)) return 'invalid checksum digest format';
  return undefined;
}

/** Parses a reference exactly (no normalization): reference.Parse. */
export function parseReference(s: string): ParseResult {
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (s === '') return { ok: false, error: 'repository name must have at least one component' };
    if (REFERENCE_RE.test(s.toLowerCase())) return { ok: false, error: 'repository name must be lowercase' };
    return { ok: false, error: INVALID_REFERENCE_FORMAT };
  }
  const [, name, tag, digest] = m;
  if (name.length > NAME_TOTAL_LENGTH_MAX) return { ok: false, error: `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters` };
  if (digest !== undefined) {
    const err = validateDigest(digest);
    if (err) return { ok: false, error: err };
  }
  const nm = ANCHORED_NAME_RE.exec(name)!;
  const ref: ImageReference = { domain: nm[1] ?? '', path: nm[2], name };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return { ok: true, ref };
}

/**
 * Parses a reference as docker and the kubelet do (ParseNormalizedNamed): adds `docker.io` and
 * `library/` where they are implied, canonicalizes `index.docker.io`.
 */
export function parseNormalizedReference(s: string): ParseResult {
  if (IDENTIFIER_RE.test(s)) {
    return { ok: false, error: `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings` };
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    return { ok: false, error: `${INVALID_REFERENCE_FORMAT}: repository name (${remote}) must be lowercase` };
  }
  return parseReference(`${domain}/${remainder}`);
}

/** The familiar (short) form a user typed: `nginx`, `user/app`, `quay.io/x/y` (FamiliarName). */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.name;
  return ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.split('/').length === 2 ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
}

/**
 * The kubelet's ParseImageName: the repository to pull, the tag (`latest` when neither a tag
 * nor a digest is given) and the digest, or the error `couldn't parse image name "<s>": <err>`.
 */
export function parseImageName(image: string):
  | { ok: true; repository: string; tag: string; digest: string }
  | { ok: false; error: string } {
  const r = parseNormalizedReference(image);
  if (!r.ok) return { ok: false, error: `couldn't parse image name ${JSON.stringify(image)}: ${r.error}` };
  const tag = r.ref.tag ?? '';
  const digest = r.ref.digest ?? '';
  return { ok: true, repository: r.ref.name, tag: tag === '' && digest === '' ? 'latest' : tag, digest };
}

/**
 * The API server's imagePullPolicy default (k/k pkg/apis/core/v1/defaults.go
 * SetDefaults_Container): `Always` when the parsed tag is `latest` (given or implied), else
 * `IfNotPresent`; a reference that does not parse also gets `IfNotPresent`.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const r = parseImageName(image);
  return r.ok && r.tag === 'latest' ? 'Always' : 'IfNotPresent';
}
