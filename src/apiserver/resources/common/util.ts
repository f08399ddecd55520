// Small helpers shared by the strategies.

/** Deep equality of JSON values (key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/** A JSON deep copy. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Sets `obj[key] = value` when the key is absent, undefined, null or `''`. */
export function setDefault<T extends Record<string, any>, K extends keyof T>(obj: T, key: K, value: T[K]): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

/** Characters upstream's name generator draws from (apiserver pkg/storage/names). */
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A random suffix of `n` characters from upstream's generateName alphabet. */
export function randomSuffix(n: number, random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < n; i++) s += GENERATE_ALPHABET[Math.floor(random() * GENERATE_ALPHABET.length)];
  return s;
}

/**
 * Upstream's SimpleNameGenerator (apiserver pkg/storage/names): the generateName prefix cut to
 * 58 characters, then 5 random characters, so a generated name never exceeds 63.
 */
export function generateName(prefix: string, random: () => number = Math.random): string {
  return `${prefix.length > 58 ? prefix.slice(0, 58) : prefix}${randomSuffix(5, random)}`;
}

/** The standard verbs of a kind with full CRUD and watch. */
export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
