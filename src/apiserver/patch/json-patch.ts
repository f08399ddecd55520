// JSON patch (RFC 6902), as `kubectl patch --type=json` sends it (application/json-patch+json).
// fast-json-patch applies the operations; failures are reworded the way upstream's library
// (evanphx/json-patch, used by k8s.io/apiserver handlers/patch.go) words them, since kubectl
// users see those words.
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { PatchError } from './errors.js';

const { applyOperation, getValueByPointer } = fastJsonPatch;

/** The API server refuses longer patches with 413 (handlers/patch.go maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function parentAndKey(path: string): { parent: string; key: string } {
  const i = path.lastIndexOf('/');
  return { parent: path.slice(0, i), key: path.slice(i + 1).replace(/~1/g, '/').replace(/~0/g, '~') };
}

function exists(doc: unknown, pointer: string): boolean {
  if (pointer === '') return true;
  try {
    return getValueByPointer(doc, pointer) !== undefined;
  } catch {
    return false;
  }
}

function reword(doc: unknown, op: Record<string, unknown>, fallback: string): string {
  const path = String(op.path ?? '');
  const { parent, key } = parentAndKey(path);
  const parentThere = exists(doc, parent);
  switch (op.op) {
    case 'replace':
      return parentThere
        ? `replace operation does not apply: doc is missing key: ${path}: missing value`
        : `replace operation does not apply: doc is missing path: ${path}: missing value`;
    case 'remove':
      return parentThere
        ? `error in remove for path: '${path}': Unable to remove nonexistent key: ${key}: missing value`
        : `remove operation does not apply: doc is missing path: "${path}": missing value`;
    case 'add':
      return parentThere
        ? `error in add for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`
        : `add operation does not apply: doc is missing path: "${path}": missing value`;
    case 'move':
    case 'copy':
      if (!exists(doc, String(op.from ?? ''))) return `${op.op} operation does not apply: doc is missing from path: ${String(op.from)}: missing value`;
      return `${op.op} operation does not apply: doc is missing destination path: ${path}: missing value`;
    case 'test':
      return `testing value ${path} failed: test failed`;
    default:
      return fallback;
  }
}

/**
 * Applies a JSON patch (the decoded request body) to `original` and returns the new document
 * (inputs are not modified). Throws PatchError: 400 when the body is not a list of operations,
 * 413 beyond MAX_JSON_PATCH_OPERATIONS, 422 when an operation does not apply.
 */
export function applyJsonPatch(original: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    const kind = patch === null ? 'null' : typeof patch === 'object' ? 'object' : typeof patch;
    throw new PatchError(`json: cannot unmarshal ${kind} into Go value of type jsonpatch.Patch`, 400);
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`, 413);
  }
  let doc = structuredClone(original);
  for (const raw of patch) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new PatchError('json: cannot unmarshal non-object into Go value of type jsonpatch.Operation', 400);
    }
    const op = raw as Record<string, unknown>;
    if (typeof op.op !== 'string' || !OPS.has(op.op)) throw new PatchError(`Unexpected kind: ${String(op.op ?? '')}`);
    if (typeof op.path !== 'string') throw new PatchError(`${op.op} operation missing path`);
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      throw new PatchError(`${op.op} operation missing value`);
    }
    try {
      doc = applyOperation(doc, structuredClone(op) as unknown as Operation, true, true).newDocument;
    } catch (e) {
      throw new PatchError(reword(doc, op, (e as Error).message.split('\n')[0]));
    }
  }
  return doc;
}
