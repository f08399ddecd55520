import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../common/clock.js';
import { silentLogger } from '../common/log.js';
import { RESOURCES, type ApiObject } from '../client/index.js';
import { createEventRecorder } from '../client/events.js';
import { createFakeClient, type FakeClient } from '../controllers/fake-client.js';
import { needsScheduling, startSchedulerCore, type SchedulerCore } from './scheduler.js';

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

function node(name: string, labels: Record<string, string> = {}): ApiObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(name: string, extra: Record<string, unknown> = {}): ApiObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', controller: true }] },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }], ...extra },
  };
}

function start(client: FakeClient, clock: FakeClock): SchedulerCore {
  const recorder = createEventRecorder(client, { component: 'default-scheduler' });
  return startSchedulerCore({ client, clock, log: silentLogger, recorder });
}

const boundTo = (client: FakeClient): Record<string, string | undefined> =>
  Object.fromEntries(client.objects('pods').map((p) => [String(p.metadata.name), p.spec?.nodeName]));

test('needsScheduling: unbound, not terminating, not finished, default-scheduler', () => {
  const cases = [
    { name: 'pending pod', pod: {}, want: true },
    { name: 'bound pod', pod: { spec: { nodeName: 'n' } }, want: false },
    { name: 'other scheduler', pod: { spec: { schedulerName: 'custom' } }, want: false },
    { name: 'terminating', pod: { metadata: { deletionTimestamp: '2024-01-01T00:00:00Z' } }, want: false },
    { name: 'succeeded', pod: { status: { phase: 'Succeeded' } }, want: false },
  ];
  for (const c of cases) assert.equal(needsScheduling(c.pod as never), c.want, c.name);
});

test('pods created together spread over the nodes: assumed bindings count before the informer shows them', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(0);
  await client.create(RESOURCES.nodes, '', node('node-a'));
  await client.create(RESOURCES.nodes, '', node('node-b'));
  for (const n of ['p1', 'p2', 'p3', 'p4']) await client.create(RESOURCES.pods, 'default', pod(n));
  // The informer lags: it lists the pods, but no binding becomes visible to it until all four
  // decisions are made.
  client.pauseWatches();
  const s = start(client, clock);
  await until(() => s.bound() === 4, '4 bindings');
  client.resumeWatches();
  const placement = boundTo(client);
  const perNode = Object.values(placement).reduce<Record<string, number>>((m, n) => ({ ...m, [String(n)]: (m[String(n)] ?? 0) + 1 }), {});
  assert.deepEqual(perNode, { 'node-a': 2, 'node-b': 2 });
  await s.stop();
  const events = client.objects('events').filter((e) => e.reason === 'Scheduled').map((e) => e.message).sort();
  assert.deepEqual(events, Object.entries(placement).map(([p, n]) => `Successfully assigned default/${p} to ${n}`).sort());
});

test('an unschedulable pod gets FailedScheduling and its PodScheduled condition, then binds when a fitting node appears', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(0);
  await client.create(RESOURCES.nodes, '', node('node-a'));
  await client.create(RESOURCES.nodes, '', node('node-b'));
  await client.create(RESOURCES.pods, 'default', pod('picky', { nodeSelector: { disk: 'ssd' } }));
  const s = start(client, clock);
  const message = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..";
  await until(() => client.objects('events').some((e) => e.reason === 'FailedScheduling'), 'FailedScheduling');
  const ev = client.objects('events').find((e) => e.reason === 'FailedScheduling') as ApiObject;
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, message);
  await until(async () => (await client.get(RESOURCES.pods, 'default', 'picky')).status?.conditions?.length === 1, 'PodScheduled condition');
  const cond = (await client.get(RESOURCES.pods, 'default', 'picky')).status.conditions[0];
  assert.deepEqual({ type: cond.type, status: cond.status, reason: cond.reason, message: cond.message }, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message });

  await client.create(RESOURCES.nodes, '', node('node-c', { disk: 'ssd' }));
  await until(() => s.bound() === 1, 'bound after the node appeared');
  assert.equal(boundTo(client).picky, 'node-c');
  await s.stop();
});

test('a failed binding is forgotten from the cache and retried after the 1 s back-off', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(0);
  await client.create(RESOURCES.nodes, '', node('node-a'));
  await client.create(RESOURCES.pods, 'default', pod('p1'));
  client.failNext('create', 'pods/binding', 500);
  const s = start(client, clock);
  await until(() => client.objects('events').some((e) => e.reason === 'FailedScheduling'), 'binding failure event');
  const ev = client.objects('events').find((e) => e.reason === 'FailedScheduling') as ApiObject;
  assert.equal(ev.message, 'Binding rejected: injected 500 for create pods/binding');
  clock.advance(999);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(s.bound(), 0, 'not before the back-off');
  clock.advance(1);
  await until(() => s.bound() === 1, 'bound on retry');
  assert.equal(boundTo(client).p1, 'node-a');
  await s.stop();
});
