// The per-kind strategy seam. The generic resource registry (apiserver core) does CRUD, watch,
// patch, tables, field selectors and subresources for every kind; a ResourceStrategy tells it
// what is special about one kind: names, defaults, validation, admission, table columns, field
// labels, graceful deletion. One strategy per served group/version/kind, in
// resources/<group>/<kind>.ts, listed in resources/index.ts.
import type { FieldError } from '../../api/field-errors.js';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
    managedFields?: unknown[];
    [k: string]: unknown;
  };
  [k: string]: any;
};

/** Table column definition as in meta.k8s.io/v1 Table.columnDefinitions. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = shown by default; 1 = only with -o wide. */
  priority: number;
}

/** What the core hands a strategy: time, the caller, and read access to other objects. */
export interface StrategyContext {
  now(): Date;
  /** The authenticated user (admin, node:<name>, system:serviceaccount:...). */
  user: { name: string; groups: string[] };
  /** Reads another object (e.g. the ServiceAccount during pod admission); undefined when absent. */
  get(resource: string, group: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** Lists objects of a resource (e.g. Services to allocate a free ClusterIP). */
  list(resource: string, group: string, namespace?: string): Promise<KubeObject[]>;
  /** Adds an HTTP `Warning` header to the response. */
  warn(text: string): void;
}

export interface ScaleSpec {
  /** JSON paths (dot form) into the object. */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceStrategy {
  group: string; // '' for core
  version: string;
  kind: string;
  /** Plural resource name used in URLs, e.g. 'pods'. */
  resource: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  /** Verbs advertised in discovery. */
  verbs: string[];
  /** Subresources served for this kind. */
  subresources?: { status?: boolean; scale?: ScaleSpec; extra?: string[] };
  /**
   * When set, this kind shares storage with another group/resource (events.k8s.io/v1 Event is
   * stored as core/v1 Event): convert on the way in and out.
   */
  storedAs?: { group: string; resource: string; toStorage(obj: KubeObject): KubeObject; fromStorage(obj: KubeObject): KubeObject };

  /** Defaults and server-set fields on create (mutates). Status is usually reset here. */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** On update of the main resource (mutates `obj`); status is carried over by the core when subresources.status. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Admission that may read other objects or allocate (ServiceAccount, ClusterIP, NodePort). */
  admit?(obj: KubeObject, old: KubeObject | undefined, ctx: StrategyContext): Promise<FieldError[] | void>;
  validate?(obj: KubeObject, ctx: StrategyContext): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /** Validation of a status-subresource update. */
  validateStatusUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /** Whether a spec change bumps metadata.generation (kinds with status: yes). */
  tracksGeneration?: boolean;

  /** Server-side Table columns and cells, in upstream's order (printer-columns.md). */
  table: { columns: TableColumn[]; cells(obj: KubeObject, now: Date): unknown[] };
  /** Field-selector labels beyond metadata.name / metadata.namespace (spec.nodeName, status.phase...). */
  fieldLabels?(obj: KubeObject): Record<string, string>;
  /**
   * Grace period to apply on DELETE, given what the request asked (undefined = not given).
   * 0 means delete now; >0 sets deletionTimestamp and leaves the object for its owner (kubelet).
   */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number;
  /** Called after an object is deleted for good (release allocations). */
  afterDelete?(obj: KubeObject, ctx: StrategyContext): Promise<void>;
}

/**
 * Thrown by `admit` when admission refuses a request outright (403 Forbidden), as upstream's
 * admission.NewForbidden does: the core answers `<resource> "<name>" is forbidden: <message>`.
 * Field errors, by contrast, are returned and become a 422 Invalid.
 */
export class AdmissionForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdmissionForbiddenError';
  }
}
