import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { configMapStrategy } from './config-map.js';

const now = new Date('2025-01-01T00:00:00Z');
const ctx = fakeContext([], now);
const s = configMapStrategy();
const cm = (extra: Record<string, any>): KubeObject => ({ metadata: { name: 'c', namespace: 'default' }, ...extra });

const cases: Array<{ name: string; obj: KubeObject; want: string[] }> = [
  { name: 'ok', obj: cm({ data: { 'app.conf': 'x' }, binaryData: { bin: 'AAEC' } }), want: [] },
  { name: 'key starting with ..', obj: cm({ data: { '..a': 'x' } }), want: ['data[..a]: Invalid value: "..a": must not start with \'..\''] },
  { name: 'duplicate across data and binaryData', obj: cm({ data: { k: 'x' }, binaryData: { k: 'AA==' } }), want: ['data[k]: Invalid value: "k": duplicate of key present in binaryData'] },
  { name: 'over 1 MiB', obj: cm({ data: { k: 'x'.repeat(1024 * 1024 + 1) } }), want: ['[]: Too long: may not be more than 1048576 bytes'] },
  { name: 'bad name', obj: { metadata: { name: 'A', namespace: 'default' } }, want: [`metadata.name: Invalid value: "A": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`] },
];
for (const c of cases) test(`validate: ${c.name}`, () => assert.deepEqual(s.validate!(c.obj, ctx).map(formatFieldError), c.want));

test('update: immutable configmap', () => {
  const old = cm({ immutable: true, data: { a: '1' } });
  assert.deepEqual(s.validateUpdate!(cm({ immutable: true, data: { a: '2' } }), old, ctx).map(formatFieldError), ['data: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(s.validateUpdate!(cm({ data: { a: '1' } }), old, ctx).map(formatFieldError), ['immutable: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(s.validateUpdate!(cm({ immutable: true, data: { a: '1' } }), old, ctx), []);
});

test('table: DATA counts data and binaryData', () => {
  assert.deepEqual(s.table.cells(cm({ data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), now), ['c', 3, '<unknown>']);
  assert.deepEqual(s.table.columns.map((c) => [c.name, c.type, c.format, c.priority]), [['Name', 'string', 'name', 0], ['Data', 'string', '', 0], ['Age', 'string', '', 0]]);
});
