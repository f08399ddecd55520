// Server-side Table output (meta.k8s.io Table): columns and cells come from the kind's strategy;
// this module adds the list metadata and the row objects that `includeObject` asks for
// (printer-columns.md section 1; k8s.io/apiserver pkg/endpoints/handlers/response.go).
import type { KubeObject, ResourceStrategy } from './resources/types.js';
import { podRowConditions } from './resources/core/pod.js';
import { badRequest } from './status.js';

/** `includeObject` values (meta/v1 IncludeObjectPolicy). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Reads `includeObject`, defaulting to Metadata as upstream does; 400 for anything else. */
export function parseIncludeObject(v: string | null): IncludeObject {
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

/** A meta.k8s.io PartialObjectMetadata for `obj`. */
export function partialObjectMetadata(obj: KubeObject, metaVersion: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${metaVersion}`, metadata: obj.metadata };
}

/** Table metadata as lists carry it. */
export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * Builds a Table for `objects`. `withColumns` false leaves columnDefinitions null (every watch
 * event after the first, as upstream's watch handler does).
 */
export function buildTable(strategy: ResourceStrategy, objects: KubeObject[], opts: {
  now: Date;
  include: IncludeObject;
  metaVersion: string;
  meta: TableListMeta;
  withColumns?: boolean;
}): Record<string, unknown> {
  const rows = objects.map((obj) => {
    const row: Record<string, unknown> = { cells: strategy.table.cells(obj, opts.now) };
    // Only pods carry row conditions (Completed, for phase Succeeded or Failed).
    const conditions = strategy.group === '' && strategy.kind === 'Pod' ? podRowConditions(obj) : undefined;
    if (conditions) row.conditions = conditions;
    if (opts.include === 'Metadata') row.object = partialObjectMetadata(obj, opts.metaVersion);
    else if (opts.include === 'Object') row.object = obj;
    return row;
  });
  const metadata: Record<string, unknown> = {};
  if (opts.meta.resourceVersion) metadata.resourceVersion = opts.meta.resourceVersion;
  if (opts.meta.continue) metadata.continue = opts.meta.continue;
  if (opts.meta.remainingItemCount !== undefined) metadata.remainingItemCount = opts.meta.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.metaVersion}`,
    metadata,
    columnDefinitions: opts.withColumns === false ? null : strategy.table.columns,
    rows,
  };
}
