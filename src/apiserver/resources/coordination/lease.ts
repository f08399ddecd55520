// coordination.k8s.io/v1 Lease (k/k pkg/apis/coordination/validation, printLease).
import type { FieldError } from '../../../api/field-errors.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column } from '../common/table.js';
import { ALL_VERBS } from '../common/util.js';

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec ?? {};
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds !== null && spec.leaseDurationSeconds <= 0) {
    errs.push({ type: 'Invalid', field: 'spec.leaseDurationSeconds', badValue: spec.leaseDurationSeconds, detail: 'must be greater than 0' });
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions !== null && spec.leaseTransitions < 0) {
    errs.push({ type: 'Invalid', field: 'spec.leaseTransitions', badValue: spec.leaseTransitions, detail: 'must be greater than or equal to 0' });
  }
  return errs;
}

/** The Lease strategy. */
export function leaseStrategy(): ResourceStrategy {
  return {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    resource: 'leases',
    singular: 'lease',
    namespaced: true,
    verbs: ALL_VERBS,
    validate: (obj) => [...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain), ...validateSpec(obj)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateSpec(obj)],
    table: {
      columns: [NAME_COLUMN, column('Holder', 'string', 'The holder of the lease'), AGE_COLUMN],
      cells: (obj, now) => [obj.metadata.name ?? '', obj.spec?.holderIdentity ?? '', ageCell(obj, now)],
    },
  };
}
