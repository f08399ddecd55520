import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { namespaceStrategy } from './namespace.js';

const now = new Date('2025-01-01T00:00:00Z');
const ctx = fakeContext([], now);
const s = namespaceStrategy();

test('create: phase Active, kubernetes finalizer, name label', () => {
  const ns: KubeObject = { metadata: { name: 'team-a', labels: { env: 'dev' } }, status: { phase: 'Terminating' } };
  s.prepareForCreate!(ns, ctx);
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
  assert.deepEqual(ns.metadata.labels, { env: 'dev', 'kubernetes.io/metadata.name': 'team-a' });
});

test('update: finalizers and status kept, label restored', () => {
  const old: KubeObject = { metadata: { name: 'a' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
  const upd: KubeObject = { metadata: { name: 'a', labels: {} }, spec: { finalizers: [] }, status: { phase: 'Terminating' } };
  s.prepareForUpdate!(upd, old, ctx);
  assert.deepEqual(upd.spec.finalizers, ['kubernetes']);
  assert.deepEqual(upd.status, { phase: 'Active' });
  assert.equal(upd.metadata.labels!['kubernetes.io/metadata.name'], 'a');
});

const invalid: Array<{ name: string; obj: KubeObject; want: string[] }> = [
  {
    name: 'name must be a DNS label', obj: { metadata: { name: 'a.b' } },
    want: ['metadata.name: Invalid value: "a.b": must not contain dots'],
  },
  { name: 'no namespace on a namespace', obj: { metadata: { name: 'a', namespace: 'x' } }, want: ['metadata.namespace: Forbidden: not allowed on this type'] },
  { name: 'bad spec finalizer', obj: { metadata: { name: 'a' }, spec: { finalizers: ['hold'] } }, want: ['spec.finalizers: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified'] },
];
for (const c of invalid) test(`validate: ${c.name}`, () => assert.deepEqual(s.validate!(c.obj, ctx).map(formatFieldError), c.want));

test('delete: finalizers keep it Terminating; table and field labels', () => {
  const ns: KubeObject = { metadata: { name: 'a', creationTimestamp: '2024-12-31T00:00:00Z' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
  assert.equal(s.gracePeriod!(ns, undefined), 1);
  assert.equal(ns.status.phase, 'Terminating');
  assert.equal(s.gracePeriod!({ metadata: { name: 'b' }, spec: {} }, undefined), 0);
  assert.deepEqual(s.table.cells(ns, now), ['a', 'Terminating', '24h']);
  assert.deepEqual(s.table.columns.map((c) => c.name), ['Name', 'Status', 'Age']);
  assert.deepEqual(s.fieldLabels!(ns), { 'status.phase': 'Terminating' });
});

test('status update: phase follows deletionTimestamp', () => {
  const old: KubeObject = { metadata: { name: 'a' }, status: { phase: 'Active' } };
  assert.deepEqual(s.validateStatusUpdate!({ metadata: { name: 'a' }, status: { phase: 'Terminating' } }, old, ctx).map(formatFieldError), [
    "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty",
  ]);
  assert.deepEqual(s.validateStatusUpdate!({ metadata: { name: 'a', deletionTimestamp: '2025-01-01T00:00:00Z' }, status: { phase: 'Terminating' } }, old, ctx), []);
});
