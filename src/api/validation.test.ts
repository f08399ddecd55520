import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from './field-errors.js';
import {
  isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isValidPortName,
  nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate,
} from './validation.js';

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const cases: Array<{ name: string; got: () => string[]; want: string[] }> = [
  { name: 'subdomain ok', got: () => isDNS1123Subdomain('a.b-c'), want: [] },
  { name: 'subdomain upper case', got: () => isDNS1123Subdomain('UPPER_case'), want: [SUBDOMAIN_MSG] },
  { name: 'subdomain too long', got: () => isDNS1123Subdomain('a'.repeat(254)), want: ['must be no more than 253 characters'] },
  { name: 'label with underscore', got: () => isDNS1123Label('Bad_Name'), want: [LABEL_MSG] },
  { name: 'label with dots', got: () => isDNS1123Label('a.b'), want: ['must not contain dots'] },
  { name: 'label too long', got: () => isDNS1123Label('a'.repeat(64)), want: ['must be no more than 63 characters'] },
  { name: 'qualified name ok with prefix', got: () => isQualifiedName('example.com/MyName'), want: [] },
  {
    name: 'qualified name bad name part', got: () => isQualifiedName('-x'),
    want: ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
  },
  { name: 'qualified name empty prefix', got: () => isQualifiedName('/x'), want: ['prefix part must be non-empty'] },
  {
    name: 'qualified name two slashes', got: () => isQualifiedName('a/b/c'),
    want: ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
  },
  {
    name: 'label value bad', got: () => isValidLabelValue('a b'),
    want: ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
  },
  { name: 'label value empty ok', got: () => isValidLabelValue(''), want: [] },
  {
    name: 'config key with slash', got: () => isConfigMapKey('a/b'),
    want: ["must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
  },
  { name: 'config key ..x', got: () => isConfigMapKey('..x'), want: ["must not start with '..'"] },
  { name: 'config key .', got: () => isConfigMapKey('.'), want: ["must not be '.'"] },
  { name: 'port name too long and digits only', got: () => isValidPortName('1234567890123456'), want: ['must be no more than 15 characters', 'must contain at least one letter (a-z)'] },
  { name: 'port name double hyphen', got: () => isValidPortName('a--b'), want: ['must not contain consecutive hyphens (-)'] },
  { name: 'generateName may end in a dash', got: () => nameIsDNSSubdomain('web-', true), want: [] },
  { name: 'name may not end in a dash', got: () => nameIsDNSSubdomain('web-', false), want: [SUBDOMAIN_MSG] },
];
for (const c of cases) test(`validation: ${c.name}`, () => assert.deepEqual(c.got(), c.want));

test('validateObjectMeta: paths and messages', () => {
  const errs = validateObjectMeta({ name: 'UPPER_case', labels: { 'a/b/c': 'x' }, annotations: { big: 'x'.repeat(256 * 1024) } }, true, nameIsDNSSubdomain);
  assert.deepEqual(errs.map(formatFieldError), [
    `metadata.name: Invalid value: "UPPER_case": ${SUBDOMAIN_MSG}`,
    'metadata.namespace: Required value',
    `metadata.labels: Invalid value: "a/b/c": ${isQualifiedName('a/b/c')[0]}`,
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  ]);
  assert.deepEqual(validateObjectMeta({}, false, nameIsDNSSubdomain).map(formatFieldError), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(validateObjectMeta({ name: 'x', namespace: 'a' }, false, nameIsDNSSubdomain).map(formatFieldError), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(validateObjectMeta({ name: 'x', namespace: 'a', finalizers: ['hold'] }, true, nameIsDNSSubdomain).map(formatFieldError), [
    'metadata.finalizers: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified',
  ]);
});

test('validateObjectMetaUpdate: no new finalizers while deleting, immutable name', () => {
  const old = { name: 'a', namespace: 'd', deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['example.com/hold'] };
  const errs = validateObjectMetaUpdate({ ...old, finalizers: ['example.com/hold', 'example.com/more'] }, old);
  assert.deepEqual(errs.map(formatFieldError), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
  ]);
  assert.deepEqual(validateObjectMetaUpdate({ name: 'b' }, { name: 'a' }).map(formatFieldError), ['metadata.name: Invalid value: "b": field is immutable']);
});
