// JSON merge patch (RFC 7386), as `kubectl patch --type=merge`, `kubectl label` and
// `kubectl scale` send it (application/merge-patch+json).
import { PatchError } from './errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Applies `patch` to `original` per RFC 7386 section 2 and returns a new document (inputs are
 * not modified): an object patch merges key by key, null deletes a key, anything else replaces.
 * Throws PatchError (400) when the patch is not a JSON value at all.
 */
export function applyMergePatch(original: unknown, patch: unknown): unknown {
  if (patch === undefined) throw new PatchError('Invalid JSON Patch', 400);
  return merge(original, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}
