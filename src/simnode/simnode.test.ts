import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../common/clock.js';
import { silentLogger } from '../common/log.js';
import { RESOURCES } from '../client/index.js';
import { createFakeClient } from '../controllers/fake-client.js';
import { startSimulatedNode } from './index.js';

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('a simulated node registers Ready, renews its Lease, runs its pods and finishes terminating ones', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const node = await startSimulatedNode({ client, name: 'node07', log: silentLogger, clock, leaseRenewIntervalMs: 10_000 });

  const n = await client.get(RESOURCES.nodes, '', 'node07');
  assert.equal(n.spec.podCIDR, '10.99.8.0/24', 'the /24 from the trailing digits');
  assert.deepEqual(n.status.addresses, [{ type: 'InternalIP', address: '127.0.99.8' }, { type: 'Hostname', address: 'node07' }]);
  assert.deepEqual(n.status.conditions.map((c: { type: string; status: string; reason: string }) => `${c.type}=${c.status}/${c.reason}`), [
    'MemoryPressure=False/KubeletHasSufficientMemory', 'DiskPressure=False/KubeletHasNoDiskPressure',
    'PIDPressure=False/KubeletHasSufficientPID', 'Ready=True/KubeletReady',
  ]);
  assert.equal(n.status.allocatable.pods, '110');

  await until(async () => !!(await client.get(RESOURCES.leases, 'kube-node-lease', 'node07').catch(() => undefined)), 'lease');
  const lease = await client.get(RESOURCES.leases, 'kube-node-lease', 'node07');
  assert.deepEqual([lease.spec.holderIdentity, lease.spec.leaseDurationSeconds, lease.spec.renewTime], ['node07', 40, '2024-01-01T00:00:00.000000Z']);
  clock.advance(10_000);
  await until(async () => (await client.get(RESOURCES.leases, 'kube-node-lease', 'node07')).spec.renewTime === '2024-01-01T00:00:10.000000Z', 'renewal after 10 s');

  const spec = { nodeName: 'node07', containers: [{ name: 'web', image: 'nginx' }] };
  await client.create(RESOURCES.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default' }, spec });
  await client.create(RESOURCES.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'default' }, spec });
  await client.create(RESOURCES.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'elsewhere', namespace: 'default' }, spec: { ...spec, nodeName: 'other' } });
  await until(() => client.objects('pods').filter((p) => p.status?.phase === 'Running').length === 2, 'two pods Running');
  const a = await client.get(RESOURCES.pods, 'default', 'a');
  const b = await client.get(RESOURCES.pods, 'default', 'b');
  assert.deepEqual([a.status.podIP, b.status.podIP].sort(), ['10.99.8.2', '10.99.8.3']);
  assert.equal(a.status.hostIP, '127.0.99.8');
  assert.deepEqual(a.status.conditions.filter((c: { status: string }) => c.status === 'True').map((c: { type: string }) => c.type),
    ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
  assert.deepEqual(a.status.containerStatuses[0].state, { running: { startedAt: '2024-01-01T00:00:10Z' } });
  assert.equal(a.status.containerStatuses[0].ready, true);
  assert.equal((await client.get(RESOURCES.pods, 'default', 'elsewhere')).status, undefined, 'pods of other nodes are left alone');

  await client.patch(RESOURCES.pods, 'default', 'a', { metadata: { deletionTimestamp: '2024-01-01T00:00:40Z' } });
  await until(() => !client.objects('pods').some((p) => p.metadata.name === 'a'), 'terminating pod removed');
  await client.create(RESOURCES.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c', namespace: 'default' }, spec });
  await until(async () => (await client.get(RESOURCES.pods, 'default', 'c')).status?.podIP === a.status.podIP, 'the freed IP is reused');
  await node.stop();
  assert.equal(node.started(), 3);
});
