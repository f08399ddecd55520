import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import { fakeContext } from '../testing/context.js';
import { leaseStrategy } from './lease.js';

const s = leaseStrategy();
test('table: Holder is the identity or empty', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  assert.deepEqual(s.table.cells({ metadata: { name: 'node01', creationTimestamp: '2024-12-31T23:59:50Z' }, spec: { holderIdentity: 'node01' } }, now), ['node01', 'node01', '10s']);
  assert.deepEqual(s.table.cells({ metadata: { name: 'x' }, spec: {} }, now), ['x', '', '<unknown>']);
});
test('validate: duration must be positive', () => {
  assert.deepEqual(s.validate!({ metadata: { name: 'l', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } }, fakeContext()).map(formatFieldError), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
  ]);
});
