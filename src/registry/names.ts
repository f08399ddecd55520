// Grammar of repository names, tags and digests (distribution-spec spec.md "Pulling manifests";
// image-spec descriptor.md "Digests"). Everything a client sends is checked here before it reaches
// storage paths or SQL, so path traversal cannot be expressed at all: none of these grammars admits
// `/..`, `%`, NUL or a leading dot.
import { RegistryError } from './errors.js';

/** distribution-spec `<name>` grammar, anchored. */
export const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** distribution-spec tag grammar: at most 128 characters. */
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** image-spec digest grammar: `algorithm ":" encoded`. */
export const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/**
 * Repository names longer than this are refused: clients cap `host[:port]/name` at 255 characters
 * (distribution reference.NameTotalLengthMax).
 */
export const MAX_NAME_LENGTH = 255;

/** Digest algorithms this registry stores, with the exact length of their lowercase-hex encoding. */
export const DIGEST_ALGORITHMS = { sha256: 64, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof DIGEST_ALGORITHMS;

/** A parsed, validated digest. */
export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** `algorithm:hex`, the canonical string. */
  value: string;
}

/** True when `name` is a valid repository name of acceptable length. */
export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

/** Throws NAME_INVALID unless `name` is a valid repository name. */
export function checkName(name: string): string {
  if (!isValidName(name)) throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: name.slice(0, 300) });
  return name;
}

/** True when `tag` matches the tag grammar. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/**
 * Parses a digest. Grammatical digests of an algorithm we do not support, and registered
 * algorithms with a wrong-length or non-lowercase-hex encoding, are DIGEST_INVALID (400), as the
 * spec asks for unsupported algorithms.
 */
export function parseDigest(s: string): Digest {
  if (!DIGEST_RE.test(s)) throw new RegistryError('DIGEST_INVALID', 'invalid digest', { digest: s.slice(0, 200) });
  const i = s.indexOf(':');
  const algorithm = s.slice(0, i);
  const hex = s.slice(i + 1);
  if (!Object.hasOwn(DIGEST_ALGORITHMS, algorithm)) {
    throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  }
  const len = DIGEST_ALGORITHMS[algorithm as DigestAlgorithm];
  if (hex.length !== len || !/^[0-9a-f]+$/.test(hex)) throw new RegistryError('DIGEST_INVALID', 'invalid digest', { digest: s.slice(0, 200) });
  return { algorithm: algorithm as DigestAlgorithm, hex, value: s };
}

/** True when `s` looks like a digest (has the grammar), as opposed to a tag. */
export function looksLikeDigest(s: string): boolean {
  return s.includes(':');
}
