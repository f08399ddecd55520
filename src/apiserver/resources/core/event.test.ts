import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { eventStrategy } from './event.js';

const now = new Date('2025-01-01T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
const s = eventStrategy();
const ev = (extra: Record<string, any>): KubeObject => ({
  metadata: { name: 'web.181', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{nginx}' },
  ...extra,
});

const rows: Array<{ name: string; obj: KubeObject; want: unknown[] }> = [
  {
    name: 'kubelet event with count',
    obj: ev({ type: 'Normal', reason: 'Pulled', message: ' Successfully pulled image "nginx"\n', count: 3, firstTimestamp: ago(600), lastTimestamp: ago(30), source: { component: 'kubelet', host: 'node01' } }),
    want: ['30s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{nginx}', 'kubelet, node01', 'Successfully pulled image "nginx"', '10m', 3, 'web.181'],
  },
  {
    name: 'count 0 prints 1, no lastTimestamp falls back to first seen',
    obj: ev({ type: 'Warning', reason: 'Failed', message: 'x', firstTimestamp: ago(5), source: { component: 'kubelet' } }),
    want: ['5s', 'Warning', 'Failed', 'pod/web', 'spec.containers{nginx}', 'kubelet', 'x', '5s', 1, 'web.181'],
  },
  {
    name: 'new-style event with series and reporting fields',
    obj: ev({ type: 'Normal', reason: 'Scheduled', message: 'ok', eventTime: ago(120), reportingComponent: 'default-scheduler', reportingInstance: 'sched-1', series: { count: 4, lastObservedTime: ago(15) }, involvedObject: { kind: 'Pod', name: '' } }),
    want: ['15s', 'Normal', 'Scheduled', 'pod', '', 'default-scheduler, sched-1', 'ok', '2m', 4, 'web.181'],
  },
  {
    name: 'no timestamps at all',
    obj: ev({ type: 'Normal', reason: 'R', message: 'm' }),
    want: ['<unknown>', 'Normal', 'R', 'pod/web', 'spec.containers{nginx}', '', 'm', '<unknown>', 1, 'web.181'],
  },
];
for (const r of rows) test(`table: ${r.name}`, () => assert.deepEqual(s.table.cells(r.obj, now), r.want));

test('columns: Name is last and wide only', () => {
  const cols = s.table.columns;
  assert.deepEqual(cols.map((c) => c.name), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name']);
  assert.deepEqual(cols.map((c) => c.priority), [0, 0, 0, 0, 1, 1, 0, 1, 1, 1]);
  assert.equal(cols[9].format, 'name');
});

test('field labels', () => {
  const labels = s.fieldLabels!(ev({ reason: 'Pulled', type: 'Normal', source: { component: 'kubelet' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' } }));
  assert.deepEqual(labels, {
    'involvedObject.kind': 'Pod', 'involvedObject.namespace': 'default', 'involvedObject.name': 'web', 'involvedObject.uid': 'u1',
    'involvedObject.apiVersion': '', 'involvedObject.resourceVersion': '', 'involvedObject.fieldPath': '',
    reason: 'Pulled', reportingComponent: '', source: 'kubelet', type: 'Normal',
  });
});

const invalid: Array<{ name: string; obj: KubeObject; want: string[] }> = [
  { name: 'namespace mismatch', obj: ev({ metadata: { name: 'e', namespace: 'other' } }), want: ['involvedObject.namespace: Invalid value: "default": does not match event.namespace'] },
  { name: 'node event in default is fine', obj: ev({ involvedObject: { kind: 'Node', name: 'node01' } }), want: [] },
  {
    name: 'new-style event needs reporting fields',
    obj: ev({ eventTime: ago(1) }),
    want: ['reportingComponent: Required value', 'reportingInstance: Required value', 'action: Required value', 'reason: Required value'],
  },
];
for (const c of invalid) test(`validate: ${c.name}`, () => assert.deepEqual(s.validate!(c.obj, fakeContext()).map(formatFieldError), c.want));
