// fieldValidation=Strict over a raw JSON body: unknown and duplicate fields in one pass, in
// document order, worded as upstream's strict decoder (sigs.k8s.io/json) words them:
// `unknown field "spec.foo"`, `duplicate field "spec.replicas"` (upstream's conformance test
// expects `strict decoding error: unknown field "spec.unknownField", duplicate field
// "spec.replicas"`). A parsed object has already lost its duplicates, hence this scanner.
import type { PatchSchema } from './types.js';

/** Upstream keeps at most 100 strict errors per request (sigs.k8s.io/json saveStrictError). */
export const MAX_STRICT_ERRORS = 100;

class InvalidJson extends Error {}

/**
 * Strict-decoding errors of `json` against `schema`. Returns undefined when the text is not
 * valid JSON (the caller's JSON parser reports that error instead).
 */
export function findStrictJsonErrors(schema: PatchSchema, json: string): string[] | undefined {
  const errors: string[] = [];
  const seenErrors = new Set<string>();
  const report = (msg: string): void => {
    if (errors.length >= MAX_STRICT_ERRORS || seenErrors.has(msg)) return;
    seenErrors.add(msg);
    errors.push(msg);
  };
  let i = 0;
  const ws = (): void => {
    while (i < json.length && (json[i] === ' ' || json[i] === '\n' || json[i] === '\r' || json[i] === '\t')) i++;
  };
  const str = (): string => {
    if (json[i] !== '"') throw new InvalidJson();
    const start = i++;
    while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
    if (i >= json.length) throw new InvalidJson();
    i++;
    return JSON.parse(json.slice(start, i)) as string;
  };
  const scalar = (): void => {
    const start = i;
    while (i < json.length && !',]} \n\r\t'.includes(json[i])) i++;
    if (i === start) throw new InvalidJson();
  };
  const value = (s: PatchSchema | undefined, path: string): void => {
    ws();
    const c = json[i];
    if (c === '{') return object(s, path);
    if (c === '[') return array(s, path);
    if (c === '"') {
      str();
      return;
    }
    scalar();
  };
  const object = (s: PatchSchema | undefined, path: string): void => {
    i++;
    const keys = new Set<string>();
    const checks = s && (s.type === 'object' || s.type === 'map') ? s : undefined;
    ws();
    if (json[i] === '}') {
      i++;
      return;
    }
    while (true) {
      ws();
      const key = str();
      ws();
      if (json[i] !== ':') throw new InvalidJson();
      i++;
      const p = path ? `${path}.${key}` : key;
      let child: PatchSchema | undefined;
      if (checks) {
        // Like upstream, a repeated unknown field is just unknown (reported once); duplicates
        // are counted among known fields and map keys.
        child = checks.type === 'object' ? checks.field?.(key) : checks.elements?.();
        if (!child) report(`unknown field "${p}"`);
        else if (keys.has(key)) report(`duplicate field "${p}"`);
        keys.add(key);
      }
      value(child, p);
      ws();
      if (json[i] === ',') {
        i++;
        continue;
      }
      if (json[i] === '}') {
        i++;
        return;
      }
      throw new InvalidJson();
    }
  };
  const array = (s: PatchSchema | undefined, path: string): void => {
    i++;
    const items = s && s.type === 'array' ? s.elements?.() : undefined;
    ws();
    if (json[i] === ']') {
      i++;
      return;
    }
    for (let n = 0; ; n++) {
      value(items, `${path}[${n}]`);
      ws();
      if (json[i] === ',') {
        i++;
        continue;
      }
      if (json[i] === ']') {
        i++;
        return;
      }
      throw new InvalidJson();
    }
  };
  try {
    value(schema, '');
    ws();
    if (i !== json.length) throw new InvalidJson();
  } catch (e) {
    if (e instanceof InvalidJson || e instanceof SyntaxError) return undefined;
    throw e;
  }
  return errors;
}
