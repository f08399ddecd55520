// Docker config files as the kubelet reads them (k/k pkg/credentialprovider/config.go): the
// `.dockerconfigjson` form `{"auths": {server: entry}}`, the legacy `.dockercfg` form
// `{server: entry}`, and an entry's `auth` field, base64 of `user:password`, which overrides
// `username`/`password`. Identity and registry tokens are not carried: the basic keyring copies
// only username, password and email.

/** One server's credentials after parsing. */
export interface DockerConfigEntry {
  username: string;
  password: string;
  email: string;
}

/** Server address (as written in the file) -> credentials, in file order. */
export type DockerConfig = [server: string, entry: DockerConfigEntry][];

/** Upstream's message for an `auth` that decodes to no colon (decodeDockerConfigFieldAuth). */
export const AUTH_FIELD_ERROR = 'unable to parse auth field, must be formatted as base64(username:password)';

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Go's base64.StdEncoding (padded) or RawStdEncoding (unpadded) strict decoding: the first
 * illegal byte gives `illegal base64 data at input byte N`, as Go reports it.
 */
export function decodeGoBase64(s: string, padded: boolean): Buffer {
  const illegal = (n: number): Error => new Error(`illegal base64 data at input byte ${n}`);
  let body = s;
  if (padded) {
    if (s.length % 4 !== 0) {
      // A truncated padded string: the offset reported here is the first illegal character, else
      // the start of the incomplete quantum, which may differ from Go's for some inputs.
      const firstBad = [...s].findIndex((c) => !B64_ALPHABET.includes(c) && c !== '=');
      throw illegal(firstBad >= 0 ? firstBad : s.length - (s.length % 4));
    }
    const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
    body = s.slice(0, s.length - pad);
  }
  for (let i = 0; i < body.length; i++) if (!B64_ALPHABET.includes(body[i])) throw illegal(i);
  if (!padded && body.length % 4 === 1) throw illegal(body.length);
  return Buffer.from(body, 'base64');
}

/** decodeDockerConfigFieldAuth: `auth` -> [username, password], or upstream's error. */
export function decodeAuthField(field: string): { username: string; password: string } {
  // Padded strings need StdEncoding, unpadded ones RawStdEncoding (upstream picks by the suffix).
  const decoded = decodeGoBase64(field, field.trim().endsWith('=')).toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) throw new Error(AUTH_FIELD_ERROR);
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

function entryFrom(raw: unknown, server: string): DockerConfigEntry {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go value of type credentialprovider.DockerConfigEntry (server ${server})`);
  }
  const r = raw as Record<string, unknown>;
  const str = (k: string): string => (typeof r[k] === 'string' ? (r[k] as string) : '');
  const entry = { username: str('username'), password: str('password'), email: str('email') };
  const auth = str('auth');
  if (auth.length === 0) return entry;
  return { ...entry, ...decodeAuthField(auth) };
}

function parseObject(bytes: string | Buffer): Record<string, unknown> {
  const v: unknown = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v} into Go value of type map[string]interface {}`);
  }
  return v as Record<string, unknown>;
}

/** Parses `.dockerconfigjson` content; a missing `auths` gives no credentials. */
export function parseDockerConfigJson(bytes: string | Buffer): DockerConfig {
  const auths = parseObject(bytes).auths;
  if (auths === undefined || auths === null) return [];
  if (typeof auths !== 'object' || Array.isArray(auths)) throw new Error('json: cannot unmarshal auths into Go value of type credentialprovider.DockerConfig');
  return Object.entries(auths as Record<string, unknown>).map(([server, raw]) => [server, entryFrom(raw, server)]);
}

/** Parses legacy `.dockercfg` content: the server map without the `auths` wrapper. */
export function parseDockercfg(bytes: string | Buffer): DockerConfig {
  return Object.entries(parseObject(bytes)).map(([server, raw]) => [server, entryFrom(raw, server)]);
}
