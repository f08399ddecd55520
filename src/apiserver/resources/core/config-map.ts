// core/v1 ConfigMap (k/k pkg/apis/core/validation ValidateConfigMap, ValidateConfigMapUpdate).
import type { FieldError } from '../../../api/field-errors.js';
import { isConfigMapKey, nameIsDNSSubdomain, tooLong, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column } from '../common/table.js';
import { ALL_VERBS, deepEqual } from '../common/util.js';
import { MAX_SECRET_SIZE } from './secret.js';

const IMMUTABLE_DETAIL = 'field is immutable when `immutable` is set';

function validateData(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = (obj.data ?? {}) as Record<string, string>;
  const binary = (obj.binaryData ?? {}) as Record<string, string>;
  let total = 0;
  for (const k of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(k)) errs.push({ type: 'Invalid', field: `data[${k}]`, badValue: k, detail: m });
    if (Object.prototype.hasOwnProperty.call(binary, k)) errs.push({ type: 'Invalid', field: `data[${k}]`, badValue: k, detail: 'duplicate of key present in binaryData' });
    total += Buffer.byteLength(String(data[k] ?? ''));
  }
  for (const k of Object.keys(binary).sort()) {
    for (const m of isConfigMapKey(k)) errs.push({ type: 'Invalid', field: `binaryData[${k}]`, badValue: k, detail: m });
    total += Buffer.from(String(binary[k] ?? ''), 'base64').length;
  }
  // Upstream reports the size against field.NewPath(""), which prints as `[]`.
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('[]', MAX_SECRET_SIZE));
  return errs;
}

/** The ConfigMap strategy. */
export function configMapStrategy(): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    resource: 'configmaps',
    singular: 'configmap',
    shortNames: ['cm'],
    namespaced: true,
    verbs: ALL_VERBS,
    validate: (obj) => [...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain), ...validateData(obj)],
    validateUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
      if (old.immutable === true) {
        if (obj.immutable !== true) errs.push({ type: 'Forbidden', field: 'immutable', detail: IMMUTABLE_DETAIL });
        if (!deepEqual(obj.data ?? {}, old.data ?? {})) errs.push({ type: 'Forbidden', field: 'data', detail: IMMUTABLE_DETAIL });
        if (!deepEqual(obj.binaryData ?? {}, old.binaryData ?? {})) errs.push({ type: 'Forbidden', field: 'binaryData', detail: IMMUTABLE_DETAIL });
      }
      errs.push(...validateData(obj));
      return errs;
    },
    table: {
      columns: [NAME_COLUMN, column('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
      cells: (obj, now) => [obj.metadata.name ?? '', Object.keys(obj.data ?? {}).length + Object.keys(obj.binaryData ?? {}).length, ageCell(obj, now)],
    },
  };
}
