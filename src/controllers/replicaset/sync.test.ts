import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  createdEvent, deletedEvent, failedCreateEvent, generatePodName, planReplicaSet, podFromTemplate, podsToDelete,
  replicaSetStatus, slowStartBatches,
} from './sync.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function rs(replicas: number, minReadySeconds = 0): ReplicaSet {
  return {
    metadata: { name: 'web-5d4f8c', namespace: 'default', uid: 'rs-uid', generation: 4 },
    spec: {
      replicas,
      minReadySeconds,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': '5d4f8c' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
}

interface PodOpts { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; restarts?: number; cost?: string; uid?: string; labels?: Record<string, string>; deleting?: boolean }
function pod(name: string, o: PodOpts = {}): Pod {
  return {
    metadata: {
      name, uid: o.uid ?? name, creationTimestamp: ago(o.created ?? 3600),
      labels: o.labels ?? { app: 'web', 'pod-template-hash': '5d4f8c' },
      annotations: o.cost !== undefined ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined,
      deletionTimestamp: o.deleting ? ago(1) : undefined,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8c', uid: 'rs-uid', controller: true }],
    },
    spec: { nodeName: o.node, containers: [{ name: 'c', image: 'nginx' }] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: (o.ready ?? true) ? 'True' : 'False', lastTransitionTime: ago(o.readySince ?? 3000) }],
      containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: o.ready ?? true, restartCount: o.restarts ?? 0 }],
    },
  };
}

test('slowStartBatches: 1, 2, 4, ... with the last batch cut to what remains', () => {
  const cases = [
    { name: 'none', n: 0, want: [] },
    { name: 'one', n: 1, want: [1] },
    { name: 'ten', n: 10, want: [1, 2, 4, 3] },
    { name: 'fifteen', n: 15, want: [1, 2, 4, 8] },
    { name: 'burst of 500', n: 500, want: [1, 2, 4, 8, 16, 32, 64, 128, 245] },
  ];
  for (const tc of cases) assert.deepEqual(slowStartBatches(tc.n), tc.want, tc.name);
});

test('planReplicaSet: create and delete counts, capped at burstReplicas 500', () => {
  const cases = [
    { name: 'scale up from 0', replicas: 3, pods: [], create: 3, deletes: 0 },
    { name: 'steady', replicas: 2, pods: [pod('a'), pod('b')], create: 0, deletes: 0 },
    { name: 'terminating and finished pods do not count', replicas: 2, pods: [pod('a'), pod('b', { deleting: true }), pod('c', { phase: 'Succeeded' })], create: 1, deletes: 0 },
    { name: 'scale down', replicas: 1, pods: [pod('a'), pod('b'), pod('c')], create: 0, deletes: 2 },
    { name: 'huge scale up is bursted', replicas: 1000, pods: [], create: 500, deletes: 0 },
  ];
  for (const tc of cases) {
    const plan = planReplicaSet(rs(tc.replicas), tc.pods, tc.pods, NOW);
    assert.equal(plan.create, tc.create, tc.name);
    assert.equal(plan.deletes.length, tc.deletes, tc.name);
    assert.equal(plan.createBatches.reduce((a, b) => a + b, 0), tc.create, tc.name);
  }
  const deleting = planReplicaSet({ ...rs(3), metadata: { ...rs(3).metadata, deletionTimestamp: ago(1) } }, [], [], NOW);
  assert.equal(deleting.create, 0, 'a ReplicaSet being deleted creates nothing');
});

test('podsToDelete ranks as upstream ActivePodsWithRanks', () => {
  const cases: Array<{ name: string; pods: Pod[]; related?: Pod[]; want: string }> = [
    { name: 'unassigned before assigned', pods: [pod('assigned', { node: 'n1' }), pod('unassigned', { phase: 'Pending', ready: false })], want: 'unassigned' },
    { name: 'Pending before Running', pods: [pod('run', { node: 'n1' }), pod('pend', { node: 'n1', phase: 'Pending' })], want: 'pend' },
    { name: 'Unknown before Running', pods: [pod('run', { node: 'n1' }), pod('unk', { node: 'n1', phase: 'Unknown' })], want: 'unk' },
    { name: 'not ready before ready', pods: [pod('ready', { node: 'n1' }), pod('notready', { node: 'n1', ready: false })], want: 'notready' },
    { name: 'lower deletion cost first', pods: [pod('cheap', { node: 'n1', cost: '-5' }), pod('dear', { node: 'n1', cost: '10' })], want: 'cheap' },
    {
      name: 'doubled-up node first',
      pods: [pod('alone', { node: 'n1' }), pod('crowded', { node: 'n2' })],
      related: [pod('alone', { node: 'n1' }), pod('crowded', { node: 'n2' }), pod('sibling', { node: 'n2' })],
      want: 'crowded',
    },
    { name: 'ready for less time first (different log2 buckets)', pods: [pod('old', { node: 'n1', readySince: 10_000 }), pod('fresh', { node: 'n1', readySince: 10 })], want: 'fresh' },
    { name: 'more restarts first', pods: [pod('stable', { node: 'n1' }), pod('flappy', { node: 'n1', restarts: 7 })], want: 'flappy' },
    { name: 'newer first', pods: [pod('elder', { node: 'n1', created: 100_000 }), pod('young', { node: 'n1', created: 100 })], want: 'young' },
    {
      name: 'same log2 age bucket: lower UID first',
      pods: [pod('x', { node: 'n1', created: 3600, uid: 'b-uid' }), pod('y', { node: 'n1', created: 3601, uid: 'a-uid' })],
      want: 'y',
    },
  ];
  for (const tc of cases) {
    const got = podsToDelete(tc.pods, tc.related ?? tc.pods, 1, NOW).map((p) => p.metadata?.name);
    assert.deepEqual(got, [tc.want], tc.name);
  }
});

test('replicaSetStatus: replicas, fullyLabeled, ready, available with minReadySeconds', () => {
  const pods = [
    pod('a', { readySince: 30 }),
    pod('b', { readySince: 5 }),
    pod('c', { ready: false }),
    pod('d', { labels: { app: 'web' }, readySince: 60 }),
    pod('e', { deleting: true }),
  ];
  const s = replicaSetStatus(rs(4, 10), pods, NOW);
  assert.deepEqual(
    { replicas: s.replicas, fullyLabeledReplicas: s.fullyLabeledReplicas, readyReplicas: s.readyReplicas, availableReplicas: s.availableReplicas, observedGeneration: s.observedGeneration },
    { replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 2, observedGeneration: 4 },
  );
  const exactly = replicaSetStatus(rs(1, 10), [pod('z', { readySince: 10 })], NOW);
  assert.equal(exactly.availableReplicas, 0, 'ready exactly minReadySeconds ago is not yet available (strictly before now)');
  const failed = replicaSetStatus(rs(2), [], NOW, { diff: -2, message: 'pods "web-" is forbidden: exceeded quota' });
  assert.deepEqual(failed.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['ReplicaFailure', 'True', 'FailedCreate', 'pods "web-" is forbidden: exceeded quota']]);
  assert.equal(replicaSetStatus({ ...rs(2), status: failed }, [], NOW).conditions, undefined, 'cleared once managing works');
});

test('planReplicaSet requeues after minReadySeconds while ready pods are not yet available', () => {
  const plan = planReplicaSet(rs(1, 30), [pod('a', { readySince: 5 })], [], NOW);
  assert.equal(plan.requeueAfterMs, 30_000);
  assert.equal(planReplicaSet(rs(1, 30), [pod('a', { readySince: 60 })], [], NOW).requeueAfterMs, undefined);
});

test('podFromTemplate, generatePodName and event messages follow upstream', () => {
  const p = podFromTemplate(rs(1));
  assert.equal(p.metadata?.generateName, 'web-5d4f8c-');
  assert.deepEqual(p.metadata?.labels, { app: 'web', 'pod-template-hash': '5d4f8c' });
  assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f8c', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
  let i = 0;
  const seq = [0, 0.5, 0.99, 0.2, 0.75];
  assert.equal(generatePodName('web-5d4f8c-', () => seq[i++]), 'web-5d4f8c-br9h2');
  assert.equal(generatePodName('x'.repeat(70), () => 0).length, 63);
  assert.deepEqual(createdEvent('web-5d4f8c-br9h2'), { type: 'Normal', reason: 'SuccessfulCreate', message: 'Created pod: web-5d4f8c-br9h2' });
  assert.deepEqual(deletedEvent('web-5d4f8c-br9h2'), { type: 'Normal', reason: 'SuccessfulDelete', message: 'Deleted pod: web-5d4f8c-br9h2' });
  assert.equal(failedCreateEvent('boom').message, 'Error creating: boom');
});
