// PatchSchema trees over the compact schemas, and the strict field check built on them.
//
// A PatchSchema is resolved lazily, one definition at a time, and cached per definition name,
// so walking a Pod costs only the definitions the walk reaches.
import type { CompactSchema } from './compact.js';
import { MAX_STRICT_ERRORS } from './strict-json.js';
import type { PatchSchema } from './types.js';

const UNKNOWN: PatchSchema = { type: 'unknown' };
const PRIMITIVE: PatchSchema = { type: 'primitive' };

/** Turns compact schema nodes into PatchSchema nodes; one resolver per definition set. */
export class SchemaResolver {
  private readonly byName = new Map<string, PatchSchema>();

  constructor(private readonly defs: Record<string, CompactSchema>) {}

  /** The PatchSchema of a named definition; undefined when the set has no such definition. */
  definition(name: string): PatchSchema | undefined {
    const cached = this.byName.get(name);
    if (cached) return cached;
    const def = this.defs[name];
    if (!def) return undefined;
    const schema = this.node(def);
    this.byName.set(name, schema);
    return schema;
  }

  /** The PatchSchema of one node (a property, an array's items, a map's values...). */
  node(n: CompactSchema): PatchSchema {
    if (n.r) {
      const def = this.definition(n.r) ?? UNKNOWN;
      // A reference may carry its own patch strategy (DeploymentSpec.strategy: retainKeys).
      return n.ps ? { ...def, patchStrategy: n.ps } : def;
    }
    // IntOrString: a number or a string, replaced whole by every patch.
    if (n.f === 'int-or-string') return UNKNOWN;
    switch (n.t) {
      case 'object': {
        if (n.p) {
          const props = n.p;
          const open = n.u === true;
          const fields = new Map<string, PatchSchema>();
          return {
            type: 'object',
            field: (name: string) => {
              if (!Object.hasOwn(props, name)) return open ? UNKNOWN : undefined;
              let f = fields.get(name);
              if (!f) {
                f = this.node(props[name]);
                fields.set(name, f);
              }
              return f;
            },
          };
        }
        if (n.a) {
          const values = n.a;
          let v: PatchSchema | undefined;
          return { type: 'map', elements: () => (v ??= this.node(values)) };
        }
        // RawExtension, FieldsV1, Patch: free-form objects.
        return UNKNOWN;
      }
      case 'array': {
        const items = n.i;
        let v: PatchSchema | undefined;
        const schema: PatchSchema = { type: 'array', elements: () => (v ??= items ? this.node(items) : UNKNOWN) };
        if (n.mk) schema.mergeKey = n.mk;
        if (n.ps) schema.patchStrategy = n.ps;
        if (n.lt === 'atomic' || n.lt === 'set' || n.lt === 'map') schema.listType = n.lt;
        if (n.lk) schema.listMapKeys = [...n.lk];
        return schema;
      }
      case 'string':
      case 'integer':
      case 'number':
      case 'boolean':
        return PRIMITIVE;
      default:
        return UNKNOWN;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Unknown fields of `value` against `schema`, worded as upstream's strict JSON decoder
 * (sigs.k8s.io/json) words them: `unknown field "spec.template.spec.containers[1].ports[0].foo"`
 * (field names joined with dots, list indexes in brackets), in document order, without
 * descending into an unknown field, at most MAX_STRICT_ERRORS of them. Map values are walked
 * with the key as a path segment.
 */
export function findUnknownFields(schema: PatchSchema, value: unknown): string[] {
  const out: string[] = [];
  const walk = (s: PatchSchema, v: unknown, path: string): void => {
    if (v === null || v === undefined) return;
    switch (s.type) {
      case 'object': {
        if (!isPlainObject(v) || !s.field) return;
        for (const [k, child] of Object.entries(v)) {
          const p = path ? `${path}.${k}` : k;
          const fs = s.field(k);
          if (!fs) {
            if (out.length < MAX_STRICT_ERRORS) out.push(`unknown field "${p}"`);
            continue;
          }
          walk(fs, child, p);
        }
        return;
      }
      case 'map': {
        if (!isPlainObject(v) || !s.elements) return;
        const es = s.elements();
        if (es.type === 'primitive' || es.type === 'unknown') return;
        for (const [k, child] of Object.entries(v)) walk(es, child, path ? `${path}.${k}` : k);
        return;
      }
      case 'array': {
        if (!Array.isArray(v) || !s.elements) return;
        const es = s.elements();
        if (es.type === 'primitive' || es.type === 'unknown') return;
        v.forEach((item, i) => walk(es, item, `${path}[${i}]`));
        return;
      }
      default:
        return;
    }
  };
  walk(schema, value, '');
  return out;
}
