import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { secretStrategy } from './secret.js';

const now = new Date('2025-01-01T00:00:00Z');
const ctx = fakeContext([], now);
const s = secretStrategy();
const b64 = (x: string) => Buffer.from(x).toString('base64');
const secret = (type: string | undefined, data: Record<string, string>, meta: Record<string, any> = {}): KubeObject =>
  ({ metadata: { name: 's', namespace: 'default', ...meta }, type, data });

test('create: stringData merged into data, type defaults to Opaque, table counts keys', () => {
  const o: KubeObject = { metadata: { name: 's', namespace: 'default', creationTimestamp: '2024-12-31T23:59:00Z' }, data: { a: b64('1') }, stringData: { b: 'two' } };
  s.prepareForCreate!(o, ctx);
  assert.equal(o.type, 'Opaque');
  assert.deepEqual(o.data, { a: b64('1'), b: b64('two') });
  assert.equal(o.stringData, undefined);
  assert.deepEqual(s.table.cells(o, now), ['s', 'Opaque', 2, '60s']);
  assert.deepEqual(s.fieldLabels!(o), { type: 'Opaque' });
});

const cases: Array<{ name: string; obj: KubeObject; want: string[] }> = [
  { name: 'opaque ok', obj: secret('Opaque', { 'a.b_C-d': b64('x') }), want: [] },
  {
    name: 'bad key', obj: secret('Opaque', { 'a/b': b64('x') }),
    want: ["data[a/b]: Invalid value: \"a/b\": must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
  },
  { name: 'over 1 MiB', obj: secret('Opaque', { a: b64('x'.repeat(1024 * 1024 + 1)) }), want: ['data: Too long: may not be more than 1048576 bytes'] },
  { name: 'dockerconfigjson missing key', obj: secret('kubernetes.io/dockerconfigjson', {}), want: ['data[.dockerconfigjson]: Required value'] },
  {
    name: 'dockerconfigjson bad json', obj: secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('xyz') }),
    want: ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character \'x\' looking for beginning of value'],
  },
  {
    name: 'dockerconfigjson empty', obj: secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '' }),
    want: ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": unexpected end of JSON input'],
  },
  {
    name: 'dockerconfigjson array', obj: secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('[]') }),
    want: ['data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}'],
  },
  { name: 'dockerconfigjson object ok', obj: secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('{"auths":{}}') }), want: [] },
  { name: 'dockercfg missing', obj: secret('kubernetes.io/dockercfg', {}), want: ['data[.dockercfg]: Required value'] },
  { name: 'basic-auth missing both', obj: secret('kubernetes.io/basic-auth', {}), want: ['data[%s][username]: Required value', 'data[%s][password]: Required value'] },
  { name: 'basic-auth username only ok', obj: secret('kubernetes.io/basic-auth', { username: '' }), want: [] },
  { name: 'ssh-auth', obj: secret('kubernetes.io/ssh-auth', {}), want: ['data[%s][ssh-privatekey]: Required value'] },
  { name: 'tls', obj: secret('kubernetes.io/tls', { 'tls.crt': b64('c') }), want: ['data[tls.key]: Required value'] },
  { name: 'sa token needs annotation', obj: secret('kubernetes.io/service-account-token', {}), want: ['metadata.annotations[kubernetes.io/service-account.name]: Required value'] },
  { name: 'bootstrap token accepted', obj: secret('bootstrap.kubernetes.io/token', { 'token-id': b64('abcdef') }), want: [] },
];
for (const c of cases) test(`validate: ${c.name}`, () => assert.deepEqual(s.validate!(c.obj, ctx).map(formatFieldError), c.want));

test('update: type immutable, immutable data frozen', () => {
  const old = secret('Opaque', { a: b64('1') });
  assert.deepEqual(s.validateUpdate!(secret('kubernetes.io/tls', { 'tls.crt': '', 'tls.key': '' }), old, ctx).map(formatFieldError), ['type: Invalid value: "kubernetes.io/tls": field is immutable']);
  const frozen = { ...old, immutable: true };
  assert.deepEqual(s.validateUpdate!({ ...frozen, data: { a: b64('2') } }, frozen, ctx).map(formatFieldError), ['data: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(s.validateUpdate!({ ...frozen, immutable: false }, frozen, ctx).map(formatFieldError), ['immutable: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(s.validateUpdate!({ ...old, data: { a: b64('3') } }, old, ctx), []);
});
