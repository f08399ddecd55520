// The OpenAPI module: /openapi/v3 discovery and documents, the minimal protobuf /openapi/v2, and
// the PatchSchema trees that strategic merge patch and fieldValidation=Strict walk. Everything is
// derived from the strategies passed in plus the schema facts in schemas.generated.ts; the
// documents are built once, on first use, and served as cached bytes with their hashes.
import { createHash } from 'node:crypto';
import type { ResourceStrategy } from '../resources/types.js';
import type { CompactSchema } from './compact.js';
import {
  OPENAPI_INFO, buildPaths, closure, fallbackDefinitionName, groupVersionPath, gvkKey, toOpenApiV3, type Gvk,
} from './documents.js';
import { SchemaResolver, findUnknownFields } from './patch-schema.js';
import { findStrictJsonErrors } from './strict-json.js';
import { SCHEMAS } from './schemas.generated.js';
import type { OpenApiService, PatchSchema } from './types.js';
import { encodeMinimalOpenApiV2 } from './v2.js';

export type { OpenApiService, PatchSchema } from './types.js';
export { OPENAPI_V2_CONTENT_TYPE } from './v2.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** Definitions whose GVK list names every served group-version (as upstream's do). */
const EVERY_GROUP_KINDS = ['DeleteOptions', 'WatchEvent'];

interface BuiltDocument {
  json: Buffer;
  hash: string;
}

/** OpenApiService over a fixed set of strategies. */
class StrategyOpenApi implements OpenApiService {
  private readonly defs: Record<string, CompactSchema>;
  private readonly byGvk = new Map<string, string>();
  private readonly resolver: SchemaResolver;
  private readonly groupVersions = new Map<string, { group: string; version: string; strategies: ResourceStrategy[] }>();
  private docs?: Map<string, BuiltDocument>;
  private v2?: Buffer;

  constructor(strategies: ResourceStrategy[]) {
    this.defs = { ...SCHEMAS };
    for (const [name, def] of Object.entries(this.defs)) {
      for (const [g, v, k] of def.g ?? []) this.byGvk.set(gvkKey(g, v, k), name);
    }
    for (const s of strategies) {
      const key = groupVersionPath(s.group, s.version);
      const gv = this.groupVersions.get(key) ?? { group: s.group, version: s.version, strategies: [] };
      gv.strategies.push(s);
      this.groupVersions.set(key, gv);
      this.ensureKind({ group: s.group, version: s.version, kind: s.kind });
    }
    const everyGv = [...this.groupVersions.values()];
    for (const kind of EVERY_GROUP_KINDS) {
      const name = `${META}.${kind}`;
      const def = this.defs[name];
      if (def) this.defs[name] = { ...def, g: everyGv.map((gv) => [gv.group, gv.version, kind]) };
    }
    this.resolver = new SchemaResolver(this.defs);
  }

  /** Registers a permissive schema (and List) for a served kind that has no generated schema. */
  private ensureKind(g: Gvk): void {
    if (this.byGvk.has(gvkKey(g.group, g.version, g.kind))) return;
    const name = fallbackDefinitionName(g);
    this.defs[name] = {
      t: 'object',
      u: true,
      p: { apiVersion: { t: 'string' }, kind: { t: 'string' }, metadata: { r: `${META}.ObjectMeta` } },
      g: [[g.group, g.version, g.kind]],
    };
    this.byGvk.set(gvkKey(g.group, g.version, g.kind), name);
    const listKind = `${g.kind}List`;
    if (this.byGvk.has(gvkKey(g.group, g.version, listKind))) return;
    const listName = `${name}List`;
    this.defs[listName] = {
      t: 'object',
      p: {
        apiVersion: { t: 'string' }, kind: { t: 'string' }, metadata: { r: `${META}.ListMeta` },
        items: { t: 'array', i: { r: name } },
      },
      q: ['items'],
      g: [[g.group, g.version, listKind]],
    };
    this.byGvk.set(gvkKey(g.group, g.version, listKind), listName);
  }

  private lookup = (g: Gvk): string => {
    const name = this.byGvk.get(gvkKey(g.group, g.version, g.kind));
    if (name) return name;
    // A subresource body kind no strategy serves (e.g. Eviction): published permissively.
    this.ensureKind(g);
    return this.byGvk.get(gvkKey(g.group, g.version, g.kind)) as string;
  };

  private build(): Map<string, BuiltDocument> {
    if (this.docs) return this.docs;
    const docs = new Map<string, BuiltDocument>();
    for (const [path, gv] of this.groupVersions) {
      const { paths, roots } = buildPaths(gv.strategies, this.lookup);
      for (const s of gv.strategies) {
        roots.add(this.lookup({ group: s.group, version: s.version, kind: s.kind }));
        if (!s.resource.includes('/')) roots.add(this.lookup({ group: s.group, version: s.version, kind: `${s.kind}List` }));
      }
      const schemas: Record<string, unknown> = {};
      for (const name of closure(this.defs, roots)) schemas[name] = toOpenApiV3(this.defs[name]);
      const doc = { openapi: '3.0.0', info: OPENAPI_INFO, paths, components: { schemas } };
      const json = Buffer.from(JSON.stringify(doc));
      const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
      docs.set(path, { json, hash });
    }
    this.docs = docs;
    return docs;
  }

  v3Discovery(): unknown {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [path, doc] of this.build()) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
    return { paths };
  }

  v3Document(path: string): { json: Buffer; hash: string } | undefined {
    return this.build().get(path.replace(/^\/+|\/+$/g, ''));
  }

  v2Protobuf(): Buffer {
    return (this.v2 ??= encodeMinimalOpenApiV2(OPENAPI_INFO.title, OPENAPI_INFO.version));
  }

  schemaFor(group: string, version: string, kind: string): PatchSchema | undefined {
    const name = this.byGvk.get(gvkKey(group, version, kind));
    return name ? this.resolver.definition(name) : undefined;
  }

  unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
    const schema = this.schemaFor(group, version, kind);
    return schema ? findUnknownFields(schema, obj) : [];
  }

  strictFieldErrors(group: string, version: string, kind: string, json: Buffer | string): string[] | undefined {
    const schema = this.schemaFor(group, version, kind);
    if (!schema) return [];
    return findStrictJsonErrors(schema, typeof json === 'string' ? json : json.toString('utf8'));
  }
}

/**
 * Creates the OpenAPI service for the kinds the given strategies serve. Called once by the API
 * server core at start; every method after that answers from memory.
 */
export function createOpenApi(strategies: ResourceStrategy[]): OpenApiService {
  return new StrategyOpenApi(strategies);
}
