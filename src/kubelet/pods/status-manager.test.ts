import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/index.js';
import { silentLogger } from '../../common/log.js';
import { StatusManager, withTransitionTimes } from './status-manager.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

const transitions: { name: string; old?: { status: 'True' | 'False'; at: string }; now: 'True' | 'False'; want: string }[] = [
  { name: 'a new condition starts now', now: 'True', want: '2024-05-01T10:00:00Z' },
  { name: 'an unchanged status keeps its transition time', old: { status: 'True', at: '2024-04-01T00:00:00Z' }, now: 'True', want: '2024-04-01T00:00:00Z' },
  { name: 'a flipped status moves it to now', old: { status: 'False', at: '2024-04-01T00:00:00Z' }, now: 'True', want: '2024-05-01T10:00:00Z' },
];
for (const c of transitions) {
  test(`withTransitionTimes: ${c.name}`, () => {
    const old = c.old ? [{ type: 'Ready', status: c.old.status, lastTransitionTime: c.old.at }] : undefined;
    const [got] = withTransitionTimes([{ type: 'Ready', status: c.now }], old, T0);
    assert.equal(got!.lastTransitionTime, c.want);
    assert.equal(got!.lastProbeTime, null);
  });
}

test('StatusManager patches the status subresource with a uid guard, only when the status changed', async () => {
  const patches: unknown[][] = [];
  const client = { patch: async (...args: unknown[]) => { patches.push(args); return {}; } } as unknown as Client;
  const sm = new StatusManager(client, silentLogger, () => T0);
  const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [] }, status: { phase: 'Pending' } };
  const status: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
  const sent = await sm.setStatus(pod, status);
  assert.equal(patches.length, 1);
  const [ref, ns, name, body, type, sub] = patches[0]!;
  assert.deepEqual([(ref as { resource: string }).resource, ns, name, type, sub], ['pods', 'ns', 'p', 'merge', 'status']);
  assert.deepEqual((body as { metadata: unknown }).metadata, { uid: 'u1' });
  assert.equal(await sm.setStatus(pod, status), undefined, 'the same status again is not re-sent');
  assert.equal(patches.length, 1);
  assert.equal(await sm.setStatus({ ...pod, status: sent }, status), undefined, 'what the API already holds is not sent');
  await sm.setStatus(pod, { ...status, phase: 'Failed' });
  assert.equal(patches.length, 2, 'a changed status is sent');
});
