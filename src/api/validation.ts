// Name, label, key and port syntax checks with upstream's exact messages
// (apimachinery pkg/util/validation/validation.go), and ObjectMeta validation
// (apimachinery pkg/api/validation/objectmeta.go, pkg/apis/meta/v1/validation).
import type { FieldError } from './field-errors.js';

/** `(e.g. 'a',  or 'b', regex used for validation is 'x')`, built as upstream's RegexError does. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let s = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) s += ' or ';
    s += `'${e}', `;
  });
  return `${s}regex used for validation is '${fmt}')`;
}

/** `must be no more than N characters` */
export function maxLenError(n: number): string {
  return `must be no more than ${n} characters`;
}

/** `must be between lo and hi, inclusive` */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

const EMPTY_ERROR = 'must be non-empty';

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const qnameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qnameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qnameRe = new RegExp(`^${qnameFmt}$`);
const labelValueFmt = `(${qnameFmt})?`;
const labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);

/** Max lengths from upstream. */
export const DNS1123_LABEL_MAX = 63;
/** Max length of an RFC 1123 subdomain. */
export const DNS1123_SUBDOMAIN_MAX = 253;
/** Total size of all annotation keys and values (TotalAnnotationSizeLimitB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** IsDNS1123Label: the messages for a value that is not an RFC 1123 label. */
export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_LABEL_MAX) errs.push(maxLenError(DNS1123_LABEL_MAX));
  if (!dns1123LabelRe.test(v)) {
    if (dns1123SubdomainRe.test(v)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

/** IsDNS1123Subdomain. */
export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!dns1123SubdomainRe.test(v)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

/** IsQualifiedName: label keys, annotation keys (lower-cased first), finalizer names. */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [`a qualified name ${regexError(qnameErrMsg, qnameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!qnameRe.test(name)) errs.push(`name part ${regexError(qnameErrMsg, qnameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** IsValidLabelValue. */
export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!labelValueRe.test(v)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** IsConfigMapKey: keys of ConfigMap and Secret data. */
export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!configMapKeyRe.test(v)) errs.push(regexError("must consist of alphanumeric characters, '-', '_' or '.'", configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** IsValidPortName (IANA_SVC_NAME). */
export function isValidPortName(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens (-)');
  if (v.length > 0 && (v.startsWith('-') || v.endsWith('-'))) errs.push('must not begin or end with a hyphen (-)');
  return errs;
}

/** IsValidPortNum. */
export function isValidPortNum(n: number): string[] {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** A name check as upstream's ValidateNameFunc: `prefix` is true for generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** NameIsDNSSubdomain: a trailing dash is allowed in a generateName prefix (maskTrailingDash). */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** NameIsDNSLabel (namespaces, services). */
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** NameIsDNS1035Label (services): `a DNS-1035 label ...`. */
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
/** Path segment names (nodes, events, leases...): not `.`/`..`, no `/` or `%`. */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  const errs: string[] = [];
  if (!prefix && (name === '.' || name === '..')) errs.push(`may not be '${name}'`);
  for (const c of ['/', '%']) if (name.includes(c)) errs.push(`may not contain '${c}'`);
  return errs;
};

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
/** IsDNS1035Label. */
export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!new RegExp(`^${dns1035LabelFmt}$`).test(v)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", dns1035LabelFmt, 'my-name', 'abc-123'));
  }
  return errs;
}

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** ValidateLabels: keys as qualified names, values as label values, both at `path`. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(labels ?? {}).sort()) {
    for (const m of isQualifiedName(k)) errs.push({ type: 'Invalid', field: path, badValue: k, detail: m });
    const v = labels![k];
    if (typeof v !== 'string') {
      errs.push({ type: 'Invalid', field: path, badValue: v, detail: 'must be a string' });
      continue;
    }
    for (const m of isValidLabelValue(v)) errs.push({ type: 'Invalid', field: path, badValue: v, detail: m });
  }
  return errs;
}

/**
 * field.TooLong as apimachinery 1.32 renders it: `may not be more than N bytes`. (Before
 * kubernetes/kubernetes#128553, merged for 1.32, the text was `must have at most N bytes`, which is
 * what older clusters and reference/reliability.md show.)
 */
export function tooLong(field: string, max: number): FieldError {
  return { type: 'TooLong', field, detail: `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` };
}

/** ValidateAnnotations: case-insensitive qualified keys, 256 KiB in total. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const k of Object.keys(annotations ?? {}).sort()) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push({ type: 'Invalid', field: path, badValue: k, detail: m });
    size += Buffer.byteLength(k) + Buffer.byteLength(String(annotations![k] ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** The metadata fields validation reads. */
export interface MetaLike {
  name?: string;
  generateName?: string;
  namespace?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  uid?: string;
  creationTimestamp?: string;
  [k: string]: unknown;
}

/**
 * ValidateObjectMeta: name (or generateName), namespace presence, labels, annotations and
 * finalizers, with upstream's paths under `metadata`.
 */
export function validateObjectMeta(meta: MetaLike | undefined, namespaced: boolean, nameFn: NameValidator): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of nameFn(m.generateName, true)) errs.push({ type: 'Invalid', field: 'metadata.generateName', badValue: m.generateName, detail: msg });
  }
  if (!m.name) errs.push({ type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' });
  else for (const msg of nameFn(m.name, false)) errs.push({ type: 'Invalid', field: 'metadata.name', badValue: m.name, detail: msg });
  if (namespaced) {
    if (!m.namespace) errs.push({ type: 'Required', field: 'metadata.namespace' });
    else for (const msg of isDNS1123Label(m.namespace)) errs.push({ type: 'Invalid', field: 'metadata.namespace', badValue: m.namespace, detail: msg });
  } else if (m.namespace) {
    errs.push({ type: 'Forbidden', field: 'metadata.namespace', detail: 'not allowed on this type' });
  }
  if (typeof m.generation === 'number' && m.generation < 0) {
    errs.push({ type: 'Invalid', field: 'metadata.generation', badValue: m.generation, detail: 'must be greater than or equal to 0' });
  }
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  for (const f of m.finalizers ?? []) {
    for (const msg of isQualifiedName(f)) errs.push({ type: 'Invalid', field: 'metadata.finalizers', badValue: f, detail: msg });
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push({ type: 'Invalid', field: 'metadata.finalizers', badValue: f, detail: 'name is neither a standard finalizer name nor is it fully qualified' });
    }
  }
  return errs;
}

// apimachinery's standard finalizers plus the core kinds' own (IsStandardFinalizerName).
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Go's %#v of a []string, as upstream prints the new finalizers. */
function goStringSlice(xs: string[]): string {
  return `[]string{${xs.map((x) => JSON.stringify(x)).join(', ')}}`;
}

/**
 * The update-only rules of ValidateObjectMetaUpdate: name, namespace, uid and creationTimestamp
 * are immutable (`field is immutable`, upstream's ValidateImmutableField text); no new finalizers
 * once deletion started.
 */
export function validateMetaTransition(meta: MetaLike | undefined, old: MetaLike | undefined): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    if (m[f] !== undefined && o[f] !== undefined && m[f] !== o[f]) errs.push({ type: 'Invalid', field: `metadata.${f}`, badValue: m[f], detail: 'field is immutable' });
  }
  if (o.deletionTimestamp) {
    const had = new Set(o.finalizers ?? []);
    const added = (m.finalizers ?? []).filter((f) => !had.has(f));
    if (added.length) {
      errs.push({ type: 'Forbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}` });
    }
  }
  return errs;
}

/** ValidateObjectMetaUpdate: the transition rules plus generation, labels and annotations. */
export function validateObjectMetaUpdate(meta: MetaLike | undefined, old: MetaLike | undefined): FieldError[] {
  const m = meta ?? {};
  const errs = validateMetaTransition(meta, old);
  if (typeof m.generation === 'number' && m.generation < 0) {
    errs.push({ type: 'Invalid', field: 'metadata.generation', badValue: m.generation, detail: 'must be greater than or equal to 0' });
  }
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  return errs;
}

/** ValidateImmutableField's error. */
export function immutable(field: string, value: unknown): FieldError {
  return { type: 'Invalid', field, badValue: value, detail: 'field is immutable' };
}
