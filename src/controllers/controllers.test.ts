// The running controllers over the in-memory client with a fake clock: expectations keep a
// lagging cache from doubling pods, the garbage collector deletes orphans only, and the node
// lifecycle controller marks a silent node Unknown, taints it and evicts on time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../common/clock.js';
import { silentLogger } from '../common/log.js';
import { RESOURCES, type ApiObject } from '../client/index.js';
import { recorderFactory, type ControllerContext, type RunningController } from './context.js';
import { createFakeClient, type FakeClient } from './fake-client.js';
import { startGarbageCollector } from './gc/controller.js';
import { InformerFactory } from './informers.js';
import { startNodeLifecycleController } from './nodelifecycle/controller.js';
import { startReplicaSetController } from './replicaset/controller.js';
import { rfc3339 } from './objects.js';

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
}

function context(client: FakeClient, clock: FakeClock): { ctx: ControllerContext; informers: InformerFactory } {
  const informers = new InformerFactory(client, silentLogger);
  return { informers, ctx: { client, informers, clock, log: silentLogger, recorder: recorderFactory(client, clock, silentLogger) } };
}

async function stopAll(c: RunningController, informers: InformerFactory): Promise<void> {
  await c.stop();
  informers.stop();
}

function replicaSet(replicas: number): ApiObject {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default', labels: { app: 'web' } },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
}

test('replicaset: a cache that has not seen its creates yet does not create the pods twice', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const { ctx, informers } = context(client, clock);
  client.pauseWatches('pods');
  const rsc = startReplicaSetController(ctx);
  await client.create(RESOURCES.replicasets, 'default', replicaSet(3));
  await until(() => client.objects('pods').length === 3, '3 pods');
  // Its own status write wakes the ReplicaSet again while the pod events are still held back.
  await until(() => client.writes.some((w) => w.startsWith('patch replicasets/status')), 'status write');
  await client.patch(RESOURCES.replicasets, 'default', 'web-abc', { metadata: { annotations: { poke: '1' } } });
  await settle();
  assert.equal(client.objects('pods').length, 3, 'no second round of creates while expectations are pending');
  client.resumeWatches();
  await settle();
  assert.equal(client.objects('pods').length, 3);
  const pods = client.objects('pods');
  for (const p of pods) {
    assert.match(String(p.metadata.name), /^web-abc-/);
    assert.equal((p.metadata.ownerReferences as Array<{ name: string }>)[0].name, 'web-abc');
  }
  await until(() => client.objects('events').filter((e) => e.reason === 'SuccessfulCreate').length === 3, 'events');
  assert.deepEqual(client.objects('events').filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort(),
    pods.map((p) => `Created pod: ${p.metadata.name}`).sort());

  await client.patch(RESOURCES.replicasets, 'default', 'web-abc', { spec: { replicas: 1 } });
  await until(() => client.objects('pods').length === 1, 'scaled down to 1');
  await until(() => client.objects('events').filter((e) => e.reason === 'SuccessfulDelete').length === 2, 'delete events');
  await stopAll(rsc, informers);
});

test('garbage collector: dependents of a deleted owner go, dependents of a live owner stay', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const { ctx, informers } = context(client, clock);
  const live = await client.create(RESOURCES.replicasets, 'default', replicaSet(1));
  const doomed = await client.create(RESOURCES.replicasets, 'default', { ...replicaSet(1), metadata: { name: 'old-rs', namespace: 'default' } });
  const owned = (name: string, owner: ApiObject): ApiObject => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: String(owner.metadata.name), uid: String(owner.metadata.uid), controller: true }] },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  });
  await client.create(RESOURCES.pods, 'default', owned('keep', live));
  await client.create(RESOURCES.pods, 'default', owned('orphaned', doomed));
  const gc = startGarbageCollector(ctx);
  await informers.synced();
  await settle();
  assert.deepEqual(client.objects('pods').map((p) => p.metadata.name).sort(), ['keep', 'orphaned']);
  await client.delete(RESOURCES.replicasets, 'default', 'old-rs');
  await until(() => client.objects('pods').length === 1, 'orphan collected');
  assert.equal(client.objects('pods')[0].metadata.name, 'keep');
  await stopAll(gc, informers);
});

test('node lifecycle: a node silent past the grace period goes Unknown, is tainted, and pods go after tolerationSeconds', async () => {
  const client = createFakeClient();
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  const clock = new FakeClock(t0);
  const { ctx, informers } = context(client, clock);
  await client.create(RESOURCES.nodes, '', {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', creationTimestamp: rfc3339(t0) },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: rfc3339(t0), lastTransitionTime: rfc3339(t0) }] },
  });
  await client.create(RESOURCES.leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', renewTime: '2024-01-01T00:00:00.000000Z' } });
  const tol = (s: number) => [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s }];
  for (const [name, secs] of [['quick', 5], ['patient', 300]] as const) {
    await client.create(RESOURCES.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: { nodeName: 'n1', tolerations: tol(secs), containers: [{ name: 'c', image: 'nginx' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  const nlc = startNodeLifecycleController(ctx, { monitorPeriodMs: 1000, gracePeriodMs: 3000 });
  await informers.synced();
  const step = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 500) {
      clock.advance(500);
      await settle();
    }
  };
  await step(3000);
  let node = await client.get(RESOURCES.nodes, '', 'n1');
  assert.equal(node.status.conditions[0].status, 'True', 'still Ready within the grace period');
  await step(1500);
  node = await client.get(RESOURCES.nodes, '', 'n1');
  const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.deepEqual([ready.status, ready.reason, ready.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
  assert.deepEqual(node.spec.taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`).sort(),
    ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  const quick = await client.get(RESOURCES.pods, 'default', 'quick');
  assert.equal(quick.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'False', 'MarkPodsNotReady');
  // Upstream stamps timeAdded with second precision; tolerationSeconds count from it.
  const taintedAt = Date.parse(node.spec.taints.find((t: { effect: string }) => t.effect === 'NoExecute').timeAdded);
  await step(taintedAt + 5000 - 500 - clock.now());
  assert.deepEqual(client.objects('pods').map((p) => p.metadata.name).sort(), ['patient', 'quick'], 'not before tolerationSeconds');
  await step(1500);
  assert.deepEqual(client.objects('pods').map((p) => p.metadata.name), ['patient'], 'quick evicted 5 s after the taint, within one monitor period');
  await until(() => client.objects('events').some((e) => e.reason === 'TaintManagerEviction'), 'eviction event');
  const ev = client.objects('events').find((e) => e.reason === 'TaintManagerEviction') as ApiObject;
  assert.equal(ev.message, 'Marking for deletion Pod default/quick');
  assert.ok(client.objects('events').some((e) => e.reason === 'NodeNotReady' && e.message === 'Node n1 status is now: NodeNotReady'));
  await stopAll(nlc, informers);
});
