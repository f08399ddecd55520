// List continue tokens in upstream's format (k8s.io/apiserver pkg/storage/continue.go):
// base64url (no padding) of {"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<next key>"}
// where start is the key relative to the list prefix; the next page starts at that key.

/** What a continue token carries. */
export interface ContinueState {
  /** The revision the first page was read at; every page reads at it. */
  rv: number;
  /** The key (relative to the list prefix) the next page starts at, inclusive. */
  start: string;
}

/** Encodes a token that continues at `lastKey + "\x00"`, i.e. strictly after lastKey. */
export function encodeContinue(rv: number, lastRelativeKey: string): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastRelativeKey}\u0000` });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Thrown for a token that does not decode; the message goes into a 400 BadRequest. */
export class ContinueTokenError extends Error {}

/** Decodes a token; throws ContinueTokenError (`continue key is not valid: ...`) on garbage. */
export function decodeContinue(token: string): ContinueState {
  let parsed: unknown;
  try {
    const normal = token.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    parsed = JSON.parse(Buffer.from(normal, 'base64url').toString('utf8'));
  } catch {
    throw new ContinueTokenError('continue key is not valid: illegal base64 data or JSON');
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (!p || typeof p !== 'object' || p.v !== 'meta.k8s.io/v1') {
    throw new ContinueTokenError('continue key is not valid: server does not recognize this encoded key');
  }
  if (typeof p.rv !== 'number' || !Number.isInteger(p.rv) || p.rv <= 0) {
    throw new ContinueTokenError('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof p.start !== 'string' || p.start === '') {
    throw new ContinueTokenError('continue key is not valid: encoded start key empty');
  }
  // The start key is relative to the list prefix; a path climbing out of it is refused as upstream does.
  if (p.start.startsWith('/') || p.start.split('/').some((s) => s === '..' || s === '.')) {
    throw new ContinueTokenError('continue key is not valid: invalid path');
  }
  return { rv: p.rv, start: p.start };
}

/** The message of the 410 for a token whose revision was compacted away (upstream's wording). */
export const CONTINUE_EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
