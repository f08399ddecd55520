import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { eventStrategy } from '../core/event.js';
import { eventFromCore, eventToCore, eventsV1Strategy } from './event.js';

const now = new Date('2025-01-01T12:00:00Z');
const s = eventsV1Strategy();
const v1: KubeObject = {
  apiVersion: 'events.k8s.io/v1', kind: 'Event',
  metadata: { name: 'web.1', namespace: 'default' },
  eventTime: '2025-01-01T11:59:00.000000Z', reportingController: 'berth.io/deployment-controller', reportingInstance: 'ctrl-0',
  action: 'Scale', reason: 'ScalingReplicaSet', note: 'Scaled up', type: 'Normal',
  regarding: { kind: 'Deployment', name: 'web', namespace: 'default' },
};

test('conversion: events.k8s.io/v1 <-> core/v1 field names', () => {
  const core = eventToCore(v1);
  assert.equal(core.apiVersion, 'v1');
  assert.deepEqual(core.involvedObject, v1.regarding);
  assert.equal(core.message, 'Scaled up');
  assert.equal(core.reportingComponent, 'berth.io/deployment-controller');
  assert.equal(core.regarding, undefined);
  assert.equal(core.note, undefined);
  assert.deepEqual(eventFromCore(core), v1);
  assert.equal(s.storedAs?.resource, 'events');
  assert.equal(s.storedAs?.group, '');
});

test('table: the same cells as the core table', () => {
  const want = eventStrategy().table.cells(eventToCore(v1), now);
  assert.deepEqual(s.table.cells(v1, now), want);
  assert.deepEqual(want.slice(0, 4), ['60s', 'Normal', 'ScalingReplicaSet', 'deployment/web']);
});

test('validate: new-style event accepted, deprecated fields rejected', () => {
  const ctx = fakeContext();
  assert.deepEqual(s.validate!(v1, ctx), []);
  const bad = { ...v1, deprecatedCount: 2, type: 'Info', reportingController: undefined, eventTime: undefined };
  assert.deepEqual(s.validate!(bad, ctx).map(formatFieldError), [
    'eventTime: Required value',
    'type: Invalid value: "": has invalid value: Info',
    'count: Invalid value: "": needs to be unset',
  ]);
});

test('field labels: events.k8s.io names', () => {
  assert.deepEqual(s.fieldLabels!(v1), {
    reason: 'ScalingReplicaSet', reportingController: 'berth.io/deployment-controller', type: 'Normal',
    'regarding.kind': 'Deployment', 'regarding.namespace': 'default', 'regarding.name': 'web', 'regarding.uid': '',
    'regarding.apiVersion': '', 'regarding.resourceVersion': '', 'regarding.fieldPath': '',
  });
  assert.deepEqual(s.fieldLabels!(eventToCore(v1)), s.fieldLabels!(v1));
});
