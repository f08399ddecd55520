// core/v1 ServiceAccount (k/k pkg/apis/core/validation ValidateServiceAccount).
import type { FieldError } from '../../../api/field-errors.js';
import { isDNS1123Subdomain, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column } from '../common/table.js';
import { ALL_VERBS } from '../common/util.js';

function validateRefs(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, r] of ((obj.imagePullSecrets ?? []) as Array<{ name?: string }>).entries()) {
    if (!r.name) errs.push({ type: 'Required', field: `imagePullSecrets[${i}].name` });
    else for (const m of isDNS1123Subdomain(r.name)) errs.push({ type: 'Invalid', field: `imagePullSecrets[${i}].name`, badValue: r.name, detail: m });
  }
  return errs;
}

/** The ServiceAccount strategy. */
export function serviceAccountStrategy(): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    resource: 'serviceaccounts',
    singular: 'serviceaccount',
    shortNames: ['sa'],
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: { extra: ['token'] },
    validate: (obj) => [...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain), ...validateRefs(obj)],
    validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateRefs(obj)],
    table: {
      columns: [NAME_COLUMN, column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE_COLUMN],
      cells: (obj, now) => [obj.metadata.name ?? '', ((obj.secrets ?? []) as unknown[]).length, ageCell(obj, now)],
    },
  };
}
