// core/v1 Secret (k/k pkg/apis/core/validation ValidateSecret/ValidateSecretUpdate,
// pkg/registry/core/secret/strategy.go, v1 conversion merging stringData into data).
import type { FieldError } from '../../../api/field-errors.js';
import { immutable, isConfigMapKey, nameIsDNSSubdomain, tooLong, validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation.js';
import type { KubeObject, ResourceStrategy } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageCell, column } from '../common/table.js';
import { ALL_VERBS, deepEqual } from '../common/util.js';

/** MaxSecretSize: the total bytes of a Secret's (or ConfigMap's) data. */
export const MAX_SECRET_SIZE = 1024 * 1024;

/** Built-in secret types. */
export const SECRET_TYPES = {
  opaque: 'Opaque',
  serviceAccountToken: 'kubernetes.io/service-account-token',
  dockercfg: 'kubernetes.io/dockercfg',
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  basicAuth: 'kubernetes.io/basic-auth',
  sshAuth: 'kubernetes.io/ssh-auth',
  tls: 'kubernetes.io/tls',
  bootstrapToken: 'bootstrap.kubernetes.io/token',
} as const;

const IMMUTABLE_DETAIL = 'field is immutable when `immutable` is set';

function decoded(v: unknown): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0);
}

/**
 * What Go's encoding/json reports for a value that is not a JSON object when decoded into a
 * map[string]interface{} (the message in `data[.dockerconfigjson]: Invalid value`), or
 * undefined when the text is a JSON object.
 */
export function goJSONObjectError(text: string): string | undefined {
  const t = text.trim();
  if (t === '') return 'unexpected end of JSON input';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    const first = t[0];
    if (!/[{["\-0-9tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
    return 'unexpected end of JSON input';
  }
  if (v === null) return undefined; // Go decodes null into a nil map without error.
  if (typeof v === 'object' && !Array.isArray(v)) return undefined;
  const kind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

/** ValidateSecret: keys, size and each built-in type's required keys. */
export function validateSecretData(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = (obj.data ?? {}) as Record<string, string>;
  let total = 0;
  for (const k of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(k)) errs.push({ type: 'Invalid', field: `data[${k}]`, badValue: k, detail: m });
    total += decoded(data[k]).length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  switch (obj.type) {
    case SECRET_TYPES.serviceAccountToken:
      if (!obj.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push({ type: 'Required', field: 'metadata.annotations[kubernetes.io/service-account.name]' });
      }
      break;
    case SECRET_TYPES.dockercfg:
    case SECRET_TYPES.dockerConfigJson: {
      const key = obj.type === SECRET_TYPES.dockercfg ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) {
        errs.push({ type: 'Required', field: `data[${key}]` });
        break;
      }
      const e = goJSONObjectError(decoded(data[key]).toString('utf8'));
      if (e) errs.push({ type: 'Invalid', field: `data[${key}]`, badValue: '<secret contents redacted>', detail: e });
      break;
    }
    case SECRET_TYPES.basicAuth:
      // Upstream builds this path with a literal `data[%s]` name, so it prints that way.
      if (!has('username') && !has('password')) {
        errs.push({ type: 'Required', field: 'data[%s][username]' }, { type: 'Required', field: 'data[%s][password]' });
      }
      break;
    case SECRET_TYPES.sshAuth:
      if (decoded(data['ssh-privatekey']).length === 0) errs.push({ type: 'Required', field: 'data[%s][ssh-privatekey]' });
      break;
    case SECRET_TYPES.tls:
      if (!has('tls.crt')) errs.push({ type: 'Required', field: 'data[tls.crt]' });
      if (!has('tls.key')) errs.push({ type: 'Required', field: 'data[tls.key]' });
      break;
    default:
      break;
  }
  return errs;
}

/** Moves stringData into data (base64), as the v1 conversion does on every write. */
function mergeStringData(obj: KubeObject): void {
  if (obj.stringData && typeof obj.stringData === 'object') {
    obj.data = { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) obj.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete obj.stringData;
}

/** The Secret strategy. */
export function secretStrategy(): ResourceStrategy {
  return {
    group: '',
    version: 'v1',
    kind: 'Secret',
    resource: 'secrets',
    singular: 'secret',
    namespaced: true,
    verbs: ALL_VERBS,
    prepareForCreate(obj) {
      mergeStringData(obj);
      if (!obj.type) obj.type = SECRET_TYPES.opaque;
    },
    prepareForUpdate(obj, old) {
      mergeStringData(obj);
      if (!obj.type) obj.type = old.type;
    },
    validate(obj) {
      return [...validateObjectMeta(obj.metadata, true, nameIsDNSSubdomain), ...validateSecretData(obj)];
    },
    validateUpdate(obj, old) {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
      if ((obj.type ?? old.type) !== old.type) errs.push(immutable('type', obj.type));
      if (old.immutable === true) {
        if (obj.immutable !== true) errs.push({ type: 'Forbidden', field: 'immutable', detail: IMMUTABLE_DETAIL });
        if (!deepEqual(obj.data ?? {}, old.data ?? {})) errs.push({ type: 'Forbidden', field: 'data', detail: IMMUTABLE_DETAIL });
      }
      errs.push(...validateSecretData(obj));
      return errs;
    },
    table: {
      columns: [
        NAME_COLUMN,
        column('Type', 'string', 'The type of the secret'),
        column('Data', 'string', 'The number of entries in the secret'),
        AGE_COLUMN,
      ],
      cells: (obj, now) => [obj.metadata.name ?? '', obj.type || SECRET_TYPES.opaque, Object.keys(obj.data ?? {}).length, ageCell(obj, now)],
    },
    fieldLabels: (obj) => ({ type: obj.type ?? '' }),
  };
}
