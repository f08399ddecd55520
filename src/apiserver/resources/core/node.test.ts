import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { nodeStrategy } from './node.js';

const now = new Date('2025-01-01T00:00:00Z');
const s = nodeStrategy();
const node = (extra: Record<string, any> = {}, labels: Record<string, string> = {}): KubeObject =>
  ({ metadata: { name: 'node01', labels, creationTimestamp: '2024-12-30T00:00:00Z' }, ...extra });

const rows: Array<{ name: string; obj: KubeObject; want: unknown[] }> = [
  {
    name: 'ready worker with info',
    obj: node({
      status: {
        conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'Hostname', address: 'node01' }, { type: 'InternalIP', address: '127.0.1.1' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.24' },
      },
    }, { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': 'true' }),
    want: ['node01', 'Ready', 'control-plane,worker', '2d', 'v1.32.0', '127.0.1.1', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'containerd://1.7.24'],
  },
  {
    name: 'not ready and cordoned, kubernetes.io/role label',
    obj: node({ spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }, { 'kubernetes.io/role': 'edge' }),
    want: ['node01', 'NotReady,SchedulingDisabled', 'edge', '2d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
  },
  { name: 'no Ready condition', obj: node(), want: ['node01', 'Unknown', '<none>', '2d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'] },
];
for (const r of rows) test(`table: ${r.name}`, () => assert.deepEqual(s.table.cells(r.obj, now), r.want));

test('columns, field labels, validation', () => {
  assert.deepEqual(s.table.columns.map((c) => `${c.name}:${c.priority}`), [
    'Name:0', 'Status:0', 'Roles:0', 'Age:0', 'Version:0', 'Internal-IP:1', 'External-IP:1', 'OS-Image:1', 'Kernel-Version:1', 'Container-Runtime:1',
  ]);
  assert.deepEqual(s.fieldLabels!(node({ spec: { unschedulable: true } })), { 'spec.unschedulable': 'true' });
  assert.deepEqual(s.fieldLabels!(node()), { 'spec.unschedulable': 'false' });
  const ctx = fakeContext([], now);
  assert.deepEqual(s.validate!(node({ spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } }), ctx).map(formatFieldError), [
    'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
});
