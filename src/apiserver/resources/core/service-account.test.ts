import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import { fakeContext } from '../testing/context.js';
import { serviceAccountStrategy } from './service-account.js';

const now = new Date('2025-01-01T00:00:00Z');
const s = serviceAccountStrategy();

test('table: SECRETS is an integer count', () => {
  assert.deepEqual(s.table.cells({ metadata: { name: 'default', creationTimestamp: '2024-12-31T21:00:00Z' } }, now), ['default', 0, '3h']);
  assert.deepEqual(s.table.cells({ metadata: { name: 'b' }, secrets: [{ name: 'x' }] }, now), ['b', 1, '<unknown>']);
});

test('validate: names and pull secret references', () => {
  const ctx = fakeContext([], now);
  assert.deepEqual(s.validate!({ metadata: { name: 'builder', namespace: 'ci' }, imagePullSecrets: [{ name: 'regcred' }] }, ctx), []);
  assert.deepEqual(s.validate!({ metadata: { name: 'builder', namespace: 'ci' }, imagePullSecrets: [{}] }, ctx).map(formatFieldError), ['imagePullSecrets[0].name: Required value']);
});
