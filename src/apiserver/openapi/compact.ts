// The compact schema form that scripts/gen-openapi.mjs writes into schemas.generated.ts: one
// node per OpenAPI schema, with short keys so the committed file stays small. The runtime
// expands it into OpenAPI v3 component schemas (documents.ts) and PatchSchema trees (patch-schema.ts).

/** One schema node, as extracted from upstream's OpenAPI spec. */
export interface CompactSchema {
  /** JSON schema type: object, array, string, integer, number, boolean. */
  t?: string;
  /** format: int32, int64, byte, date-time, int-or-string... */
  f?: string;
  /** Name of a referenced definition (the whole node is that definition). */
  r?: string;
  /** properties. */
  p?: Record<string, CompactSchema>;
  /** additionalProperties (a map's values). */
  a?: CompactSchema;
  /** items (an array's elements). */
  i?: CompactSchema;
  /** required property names. */
  q?: string[];
  /** enum values. */
  e?: string[];
  /** x-kubernetes-patch-merge-key. */
  mk?: string;
  /** x-kubernetes-patch-strategy. */
  ps?: string;
  /** x-kubernetes-list-type. */
  lt?: string;
  /** x-kubernetes-list-map-keys. */
  lk?: string[];
  /** x-kubernetes-map-type. */
  mt?: string;
  /** x-kubernetes-preserve-unknown-fields: properties beyond `p` are accepted as they are. */
  u?: boolean;
  /** x-kubernetes-group-version-kind as [group, version, kind] triples. */
  g?: Array<[string, string, string]>;
}
