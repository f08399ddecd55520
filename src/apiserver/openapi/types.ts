// Seams between the OpenAPI schemas (openapi/) and their consumers in the API server: strategic
// merge patch reads merge keys and patch strategies; fieldValidation reads which fields exist.

/**
 * A node of a kind's schema, as strategic merge patch and field validation walk it. Built from
 * the same OpenAPI schemas served at /openapi/v3 (x-kubernetes-patch-merge-key,
 * x-kubernetes-patch-strategy, x-kubernetes-list-type, x-kubernetes-list-map-keys).
 */
export interface PatchSchema {
  /** object: fixed properties; map: additionalProperties; array: items; primitive; unknown: anything goes (RawExtension, IntOrString...). */
  type: 'object' | 'map' | 'array' | 'primitive' | 'unknown';
  /** For object: the schema of a named property, undefined when the field does not exist. */
  field?(name: string): PatchSchema | undefined;
  /** For map: the schema of every value; for array: of every item. */
  elements?(): PatchSchema;
  /** x-kubernetes-patch-merge-key on a list field. */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy, e.g. 'merge', 'retainKeys', 'merge,retainKeys', 'replace'. */
  patchStrategy?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

/** What the API server needs from the OpenAPI module. */
export interface OpenApiService {
  /** Body of GET /openapi/v3: { paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=...' }, ... } }. */
  v3Discovery(): unknown;
  /** The document for one group-version path ('api/v1', 'apis/apps/v1'), with its hash for ETag; undefined if not served. */
  v3Document(path: string): { json: Buffer; hash: string } | undefined;
  /** A minimal protobuf-encoded /openapi/v2 document (kubectl-wire.md 2.3). */
  v2Protobuf(): Buffer;
  /** The root schema of a kind, for strategic merge patch and field validation. */
  schemaFor(group: string, version: string, kind: string): PatchSchema | undefined;
  /**
   * Unknown or duplicate fields in `obj` for fieldValidation=Strict/Warn, as upstream words them
   * (`unknown field "spec.foo"`), in document order.
   */
  unknownFields(group: string, version: string, kind: string, obj: unknown): string[];
  /**
   * Like unknownFields, but over the raw JSON body, so that duplicate fields are found too
   * (`duplicate field "spec.replicas"`), unknown and duplicate mixed in document order as
   * upstream reports them. [] for a kind without a schema; undefined when `json` is not JSON.
   */
  strictFieldErrors?(group: string, version: string, kind: string, json: Buffer | string): string[] | undefined;
}
