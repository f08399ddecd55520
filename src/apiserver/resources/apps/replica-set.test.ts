import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { replicaSetStrategy } from './replica-set.js';

const now = new Date('2025-01-01T00:00:00Z');
const s = replicaSetStrategy();
const rs = (spec: Record<string, any> = {}): KubeObject => ({
  metadata: { name: 'web-5d4f8c', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f8c' } },
    template: { metadata: { labels: { app: 'web', 'pod-template-hash': '5d4f8c' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
    ...spec,
  },
});

test('defaults and a valid ReplicaSet', () => {
  const o = rs();
  s.prepareForCreate!(o, fakeContext());
  assert.equal(o.spec.replicas, 1);
  assert.equal(o.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  assert.deepEqual(s.validate!(o, fakeContext()), []);
});

const invalid: Array<{ name: string; obj: KubeObject; want: string[] }> = [
  { name: 'template labels missing', obj: rs({ template: { spec: { containers: [{ name: 'c', image: 'x' }] } } }), want: ['spec.template.metadata.labels: Invalid value: null: `selector` does not match template `labels`'] },
  { name: 'negative minReadySeconds', obj: rs({ minReadySeconds: -5 }), want: ['spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0'] },
];
for (const c of invalid) {
  test(`validate: ${c.name}`, () => {
    s.prepareForCreate!(c.obj, fakeContext());
    assert.deepEqual(s.validate!(c.obj, fakeContext()).map(formatFieldError), c.want);
  });
}

test('update: selector immutable', () => {
  const old = rs();
  s.prepareForCreate!(old, fakeContext());
  const upd = structuredClone(old);
  upd.spec.selector = { matchLabels: { app: 'web' } };
  assert.deepEqual(s.validateUpdate!(upd, old, fakeContext()).map(formatFieldError), ['spec.selector: Invalid value: {"matchLabels":{"app":"web"}}: field is immutable']);
});

test('table: integer counts and FormatLabelSelector', () => {
  const o = { ...rs({ replicas: 3 }), status: { replicas: 3, readyReplicas: 1 } };
  assert.deepEqual(s.table.cells(o, now), ['web-5d4f8c', 3, 3, 1, '<unknown>', 'nginx', 'nginx', 'app=web,pod-template-hash=5d4f8c']);
  assert.deepEqual(s.table.cells({ metadata: { name: 'x' }, spec: { selector: {} } }, now), ['x', 1, 0, 0, '<unknown>', '', '', '<none>']);
  assert.deepEqual(s.table.cells({ metadata: { name: 'x' }, spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Bad' }] } } }, now)[7], '<error>');
  assert.deepEqual(s.table.columns.map((c) => `${c.name}:${c.type}:${c.priority}`), [
    'Name:string:0', 'Desired:integer:0', 'Current:integer:0', 'Ready:integer:0', 'Age:string:0', 'Containers:string:1', 'Images:string:1', 'Selector:string:1',
  ]);
});

test('field labels: status.replicas', () => {
  assert.deepEqual(s.fieldLabels!({ metadata: { name: 'x' }, status: { replicas: 2 } }), { 'status.replicas': '2' });
  assert.deepEqual(s.fieldLabels!({ metadata: { name: 'x' } }), { 'status.replicas': '0' });
});
