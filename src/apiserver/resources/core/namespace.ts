// core/v1 Namespace (k/k pkg/registry/core/namespace/strategy.go, pkg/apis/core/v1/defaults.go
// SetDefaults_Namespace): phase Active on create, the `kubernetes` finalizer in spec.finalizers,
// the `kubernetes.io/metadata.name` label kept equal to the name.
import type { FieldError } from '../../../api/field-errors.js';
import { isQualifiedName, nameIsDNSLabel, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column } from '../common/table.js';

/** The label the server sets to every namespace's name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** The finalizer the namespace controller removes once the namespace is empty. */
export const KUBERNETES_FINALIZER = 'kubernetes';

function setNameLabel(obj: KubeObject): void {
  if (!obj.metadata.name) return;
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: obj.metadata.name };
}

function validateSpecFinalizers(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of (obj.spec?.finalizers ?? []) as string[]) {
    for (const m of isQualifiedName(f)) errs.push({ type: 'Invalid', field: 'spec.finalizers', badValue: f, detail: m });
    if (!f.includes('/') && f !== KUBERNETES_FINALIZER) {
      errs.push({ type: 'Invalid', field: 'spec.finalizers', badValue: f, detail: 'name is neither a standard finalizer name nor is it fully qualified' });
    }
  }
  return errs;
}

/** The Namespace strategy. */
export function namespaceStrategy(): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    resource: 'namespaces',
    singular: 'namespace',
    shortNames: ['ns'],
    namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: { status: true, extra: ['finalize'] },
    prepareForCreate(obj) {
      obj.status = { phase: 'Active' };
      obj.spec ??= {};
      const fin = (obj.spec.finalizers ?? []) as string[];
      if (!fin.includes(KUBERNETES_FINALIZER)) obj.spec.finalizers = [...fin, KUBERNETES_FINALIZER];
      setNameLabel(obj);
    },
    prepareForUpdate(obj, old) {
      // spec.finalizers change only through the finalize subresource.
      obj.spec = { ...(obj.spec ?? {}), finalizers: old.spec?.finalizers };
      if (obj.spec.finalizers === undefined) delete obj.spec.finalizers;
      obj.status = old.status;
      setNameLabel(obj);
    },
    validate(obj) {
      return [...validateObjectMeta(obj.metadata, false, nameIsDNSLabel), ...validateSpecFinalizers(obj)];
    },
    validateUpdate(obj, old) {
      return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSpecFinalizers(obj)];
    },
    validateStatusUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
      // ValidateNamespaceStatusUpdate (the capital P is upstream's path).
      const phase = obj.status?.phase ?? '';
      if (!obj.metadata.deletionTimestamp && phase !== 'Active') {
        errs.push({ type: 'Invalid', field: 'status.Phase', badValue: phase, detail: "may only be 'Active' if `deletionTimestamp` is empty" });
      } else if (obj.metadata.deletionTimestamp && phase !== 'Terminating') {
        errs.push({ type: 'Invalid', field: 'status.Phase', badValue: phase, detail: "may only be 'Terminating' if `deletionTimestamp` is not empty" });
      }
      return errs;
    },
    table: {
      columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
      cells: (obj, now) => [obj.metadata.name ?? '', obj.status?.phase ?? '', ageCell(obj, now)],
    },
    fieldLabels: (obj) => ({ 'status.phase': obj.status?.phase ?? '' }),
    /**
     * A namespace with spec.finalizers stays (phase set to Terminating on `obj`) until the
     * namespace controller has emptied it and finalized it; without finalizers it goes at once.
     */
    gracePeriod(obj) {
      if (((obj.spec?.finalizers ?? []) as string[]).length === 0) return 0;
      obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
      return 1;
    },
  };
}
