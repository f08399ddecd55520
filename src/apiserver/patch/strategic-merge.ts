// Strategic merge patch, applied as k8s.io/apimachinery pkg/util/strategicpatch/patch.go applies a
// patch on the server (StrategicMergeMapPatch: MergeParallelList = true, IgnoreUnmatchedNulls =
// true). Schema facts (merge keys, patch strategies) come through PatchSchema.
//
// What a patch can say, per map:
//   key: null                          delete the key
//   key: {…}                           merge recursively (unless the field's strategy is replace)
//   key: [...]                         lists of maps with a merge key and strategy "merge" merge
//                                      item by item; primitive lists with strategy "merge" form a
//                                      union; every other list is replaced
//   $patch: replace | delete           replace this map with the patch / delete it (any other
//                                      value, "merge" too, is an error, as upstream)
//   $retainKeys: [k…]                  drop original keys not listed (strategy retainKeys)
//   $setElementOrder/<list>: [...]     final order of <list> (items by merge key or value)
//   $deleteFromPrimitiveList/<list>    remove these values from a primitive <list>
// and per list item (maps with a merge key):
//   {<mergeKey>: v, $patch: delete}    remove the item(s) with that key
//   {$patch: replace}                  replace the whole list with the other patch items
import type { PatchSchema } from '../openapi/types.js';
import { goValue, PatchError } from './errors.js';

type Obj = Record<string, unknown>;
type Kind = 'map' | 'primitive';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

// mergepatch/errors.go
const ERR_BAD_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_BAD_SET_ORDER = 'invalid patch format of setElementOrder list';
const ERR_BAD_PRIMITIVE_LIST = 'invalid patch format of primitive list';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function errNoMergeKey(m: Obj, key: string): PatchError {
  return new PatchError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
}

function errBadPatchType(t: unknown, m: Obj): PatchError {
  return new PatchError(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`);
}

/** Deep equality of decoded JSON values. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
  }
  return false;
}

interface Meta {
  /** Schema of the field's value (for lists: of the list; items via elements()). */
  schema?: PatchSchema;
  strategy: string;
  retainKeys: boolean;
  mergeKey: string;
}

/** LookupPatchMetadataForStruct / ForSlice: the facts for field `key` of a map with schema `s`. */
function lookup(s: PatchSchema | undefined, key: string): Meta {
  let sub: PatchSchema | undefined;
  if (s?.type === 'object') sub = s.field?.(key);
  else if (s?.type === 'map') sub = s.elements?.();
  const parts = (sub?.patchStrategy ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const retainKeys = parts.includes('retainKeys');
  const others = parts.filter((p) => p !== 'retainKeys');
  if (others.length > 1) throw new PatchError(`unexpected patch strategy: ${sub?.patchStrategy}`);
  return { schema: sub, strategy: others[0] ?? '', retainKeys, mergeKey: sub?.mergeKey ?? '' };
}

/** Schema of the items of a list field. */
const itemSchema = (m: Meta): PatchSchema | undefined => (m.schema?.type === 'array' ? m.schema.elements?.() : undefined);

/**
 * Applies a strategic merge patch to `original` and returns the result (inputs are not
 * modified). `schema` is the root schema of the object's kind; without one, maps merge and lists
 * are replaced (what upstream does for fields it has no metadata for). Throws PatchError (422)
 * for a malformed patch.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, schema?: PatchSchema): unknown {
  if (!isObj(patch)) throw new PatchError('Invalid JSON document', 400);
  const base = isObj(original) ? structuredClone(original) : {};
  return mergeMap(base, structuredClone(patch), schema);
}

function mergeMap(original: Obj | undefined, patch: Obj, schema: PatchSchema | undefined): Obj {
  if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE)) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      delete patch[DIRECTIVE];
      return stripDirectives(patch) as Obj;
    }
    if (d === 'delete') return {};
    // Upstream (handleDirectiveInMergeMap) knows only replace and delete on maps, merge included.
    throw errBadPatchType(d, patch);
  }
  const orig: Obj = original ?? {};
  applyRetainKeys(orig, patch);
  mergeOrderedLists(orig, patch, schema);

  for (const [rawKey, patchV] of Object.entries(patch)) {
    let k = rawKey;
    let isDeleteList = false;
    if (k.startsWith(SET_ORDER)) continue; // handled by mergeOrderedLists
    if (k.startsWith(DELETE_FROM)) {
      k = k.slice(DELETE_FROM.length);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete orig[k];
      continue;
    }
    const meta = Array.isArray(patchV) || isObj(patchV) ? lookup(schema, k) : undefined;
    if (!Object.prototype.hasOwnProperty.call(orig, k) || orig[k] === null || orig[k] === undefined) {
      if (isDeleteList) continue;
      orig[k] = fresh(patchV, meta);
      continue;
    }
    const ov = orig[k];
    const sameKind = (Array.isArray(ov) && Array.isArray(patchV)) || (isObj(ov) && isObj(patchV));
    if (!sameKind) {
      if (!isDeleteList) orig[k] = fresh(patchV, meta);
      continue;
    }
    if (isObj(ov) && isObj(patchV)) {
      orig[k] = meta!.strategy === 'replace' ? stripDirectives(patchV) : mergeMap(ov, patchV, meta!.schema);
    } else if (Array.isArray(ov) && Array.isArray(patchV)) {
      if (isDeleteList) {
        if (patchV.some((v) => isObj(v) || Array.isArray(v))) throw new PatchError(ERR_BAD_PRIMITIVE_LIST);
        orig[k] = ov.filter((x) => !patchV.some((d) => equal(d, x)));
      } else {
        orig[k] = meta!.strategy === 'merge' ? mergeSlice(ov, patchV, itemSchema(meta!), meta!.mergeKey) : stripDirectives(patchV);
      }
    }
  }
  return orig;
}

/** A patch value for a key the original lacks: directives applied against nothing, nulls dropped. */
function fresh(patchV: unknown, meta: Meta | undefined): unknown {
  if (isObj(patchV)) return meta?.strategy === 'replace' ? stripDirectives(patchV) : mergeMap({}, patchV, meta?.schema);
  if (Array.isArray(patchV)) return meta?.strategy === 'merge' ? mergeSlice([], patchV, itemSchema(meta), meta.mergeKey) : stripDirectives(patchV);
  return patchV;
}

/** Removes null values (discardNullValuesFromPatch) and directive keys from a subtree taken as is. */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObj(x) && DIRECTIVE in x && Object.keys(x).length === 1)).map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_FROM)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

/** applyRetainKeysDirective: keys of `original` not listed in $retainKeys are dropped. */
function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw new PatchError(ERR_BAD_RETAIN_KEYS);
  const keep = new Set(list.map(String));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM) || k.startsWith(SET_ORDER) || k === DIRECTIVE) continue;
    if (!keep.has(k)) throw new PatchError(ERR_BAD_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** mergePatchIntoOriginal: lists that come with a $setElementOrder directive. */
function mergeOrderedLists(original: Obj, patch: Obj, schema: PatchSchema | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw new PatchError(ERR_BAD_SET_ORDER);
    const listKey = key.slice(SET_ORDER.length);
    const meta = lookup(schema, listKey);
    const mergeKey = meta.mergeKey;
    const foundOriginal = Array.isArray(original[listKey]);
    const foundPatch = Array.isArray(patch[listKey]);
    if (!foundOriginal && !foundPatch) continue;
    const originalList = foundOriginal ? (original[listKey] as unknown[]) : [];
    const patchList = foundPatch ? (patch[listKey] as unknown[]) : [];
    validateWithOrder(patchList, order, mergeKey);
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal) merged = meta.strategy === 'merge' ? mergeSlice([], patchList, itemSchema(meta), mergeKey) : (stripDirectives(patchList) as unknown[]);
    else merged = meta.strategy === 'merge' ? mergeSlice(originalList, patchList, itemSchema(meta), mergeKey) : (stripDirectives(patchList) as unknown[]);
    const kind: Kind = mergeKey ? 'map' : 'primitive';
    const inOrder = (x: unknown): boolean => indexOf(order, x, mergeKey, kind) >= 0;
    const patchItems = merged.filter(inOrder);
    const serverOnly = merged.filter((x) => !inOrder(x));
    original[listKey] = normalizeElementOrder(patchItems, serverOnly, order, originalList, mergeKey, kind);
    delete patch[listKey];
  }
}

/** validatePatchWithSetOrderList: patch items must appear in the order list, in the same order. */
function validateWithOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  const kind: Kind = mergeKey ? 'map' : 'primitive';
  let last = -1;
  for (const item of patchList) {
    if (isObj(item) && DIRECTIVE in item) continue;
    if (kind === 'map' && !isObj(item)) throw new PatchError(ERR_BAD_SET_ORDER);
    const i = indexOf(order, item, mergeKey, kind);
    if (i < 0 || i < last) throw new PatchError(ERR_BAD_SET_ORDER);
    last = i;
  }
}

/** Position of `item` in `list` by merge key (maps) or value (primitives), -1 when absent. */
function indexOf(list: unknown[], item: unknown, mergeKey: string, kind: Kind): number {
  if (kind === 'map') {
    if (!isObj(item)) return -1;
    const v = item[mergeKey];
    return list.findIndex((x) => isObj(x) && equal(x[mergeKey], v));
  }
  return list.findIndex((x) => equal(x, item));
}

function mergeSlice(original: unknown[], patch: unknown[], schema: PatchSchema | undefined, mergeKey: string): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const sample = [...original, ...patch].find((x) => x !== null && x !== undefined);
  const kind: Kind = isObj(sample) ? 'map' : 'primitive';
  if (Array.isArray(sample)) throw new PatchError('lists of lists are not supported');
  let merged: unknown[];
  let orig = original;
  let pat = patch;
  if (kind === 'primitive') {
    merged = [];
    for (const x of [...original, ...patch]) if (!merged.some((m) => equal(m, x))) merged.push(x);
  } else {
    if (!mergeKey) throw new PatchError('cannot merge lists without merge key');
    const special = withSpecialElements(original, patch, mergeKey);
    if (special.replaced) return special.patch.map((x) => (isObj(x) ? mergeMap({}, x, schema) : x));
    orig = special.original;
    pat = special.patch;
    merged = [...orig];
    for (const item of pat) {
      if (!isObj(item)) throw new PatchError(`invalid value for a list of maps: ${goValue(item)}`);
      if (!(mergeKey in item)) throw errNoMergeKey(item, mergeKey);
      const i = merged.findIndex((x) => isObj(x) && equal(x[mergeKey], item[mergeKey]));
      if (i >= 0) merged[i] = mergeMap(merged[i] as Obj, item, schema);
      else merged.push(mergeMap({}, item, schema));
    }
  }
  const inPatch = (x: unknown): boolean => indexOf(pat, x, mergeKey, kind) >= 0;
  return normalizeElementOrder(merged.filter(inPatch), merged.filter((x) => !inPatch(x)), pat, orig, mergeKey, kind);
}

/** mergeSliceWithSpecialElements: $patch items in a list of maps. */
function withSpecialElements(original: unknown[], patch: unknown[], mergeKey: string): { original: unknown[]; patch: unknown[]; replaced: boolean } {
  const rest: unknown[] = [];
  let replace = false;
  let orig = original;
  for (const v of patch) {
    if (!isObj(v) || !(DIRECTIVE in v)) {
      rest.push(v);
      continue;
    }
    switch (v[DIRECTIVE]) {
      case 'delete':
        if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
        orig = orig.filter((x) => !(isObj(x) && equal(x[mergeKey], v[mergeKey])));
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw new PatchError('merging lists cannot yet be specified in the patch');
      default:
        throw errBadPatchType(v[DIRECTIVE], v);
    }
  }
  return { original: orig, patch: rest, replaced: replace };
}

/**
 * normalizeElementOrder: patch items in the patch's (or $setElementOrder's) order, server-only
 * items in their original order, interleaved so server-only items keep their place relative to
 * the patch items they preceded in the original.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: Kind): unknown[] {
  const p = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const s = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < s.length || j < p.length) {
    if (i >= s.length) out.push(p[j++]);
    else if (j >= p.length) out.push(s[i++]);
    else {
      const li = indexOf(serverOrder, s[i], mergeKey, kind);
      const ri = indexOf(serverOrder, p[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(s[i++]);
      else out.push(p[j++]);
    }
  }
  return out;
}

/**
 * normalizeSliceOrder: Go's sort.SliceStable (an insertion sort for short lists) with upstream's
 * comparator (by position in `order`; callers pass items that are all in `order`). Items of
 * `order` marked `$patch: delete` are dropped.
 */
function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, kind: Kind): unknown[] {
  const a = [...items];
  const less = (x: unknown, y: unknown): boolean => {
    const ix = indexOf(order, x, mergeKey, kind);
    if (ix >= 0) {
      const iy = indexOf(order, y, mergeKey, kind);
      if (iy >= 0) return ix < iy;
    }
    return true;
  };
  for (let i = 1; i < a.length; i++) {
    for (let j = i; j > 0 && less(a[j], a[j - 1]); j--) [a[j], a[j - 1]] = [a[j - 1], a[j]];
  }
  if (kind !== 'map') return a;
  const deleted = order.filter((o) => isObj(o) && o[DIRECTIVE] === 'delete');
  return a.filter((x) => !deleted.some((d) => isObj(d) && isObj(x) && equal(d[mergeKey], x[mergeKey])));
}
