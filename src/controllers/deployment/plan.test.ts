import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { planDeployment, resolveCreateConflict, type DeploymentPlan } from './plan.js';
import { computeHash, equalIgnoreHash, resolveFenceposts, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './util.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

function deployment(over: { replicas?: number; image?: string; strategy?: Deployment['spec'] extends infer S ? S extends { strategy?: infer X } ? X : never : never; paused?: boolean; progressDeadlineSeconds?: number; revisionHistoryLimit?: number } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1, annotations: {} },
    spec: {
      replicas: over.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: over.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      paused: over.paused,
      progressDeadlineSeconds: over.progressDeadlineSeconds ?? 600,
      revisionHistoryLimit: over.revisionHistoryLimit ?? 10,
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: over.image ?? 'nginx:1.25' }] },
      },
    },
    status: {},
  };
}

/** A tiny world: applies plans, and lets the ReplicaSets' pods become available at once. */
class World {
  rss: ReplicaSet[] = [];
  events: string[] = [];
  now = T0;
  constructor(public d: Deployment) {}

  sync(): DeploymentPlan {
    const plan = planDeployment(this.d, this.rss, [], this.now);
    for (const rs of plan.creates) this.rss.push({ ...rs, metadata: { ...rs.metadata, uid: `uid-${rs.metadata?.name}` }, status: { replicas: 0 } });
    for (const rs of plan.updates) this.rss = this.rss.map((x) => (x.metadata?.name === rs.metadata?.name ? { ...rs, status: x.status } : x));
    this.rss = this.rss.filter((x) => !plan.deletes.includes(x.metadata?.name ?? ''));
    this.d = { ...this.d, metadata: { ...this.d.metadata, annotations: plan.annotations }, status: plan.status };
    this.events.push(...plan.events.map((e) => e.message));
    this.now += 1000;
    return plan;
  }

  /** The replicaset controller and kubelets catch up: every pod exists and is available. */
  settle(): void {
    for (const rs of this.rss) {
      const n = rs.spec?.replicas ?? 0;
      Object.assign(rs, { status: { replicas: n, readyReplicas: n, availableReplicas: n, fullyLabeledReplicas: n, observedGeneration: 1 } });
    }
  }

  rolloutUntilStable(limit = 20): void {
    for (let i = 0; i < limit; i++) {
      const plan = this.sync();
      this.settle();
      if (plan.creates.length === 0 && plan.updates.length === 0 && plan.deletes.length === 0 && !plan.statusChanged) return;
    }
    throw new Error('rollout did not settle');
  }

  rs(name: string): ReplicaSet {
    const rs = this.rss.find((x) => x.metadata?.name === name);
    assert.ok(rs, `replica set ${name}`);
    return rs;
  }
}

test('resolveFenceposts: surge rounds up, unavailable rounds down, both zero gives unavailable 1', () => {
  const cases = [
    { name: '3 replicas 25%/25%', desired: 3, surge: '25%', unavail: '25%', want: { surge: 1, unavailable: 0 } },
    { name: '10 replicas 25%/25%', desired: 10, surge: '25%', unavail: '25%', want: { surge: 3, unavailable: 2 } },
    { name: '4 replicas 25%/25% exact', desired: 4, surge: '25%', unavail: '25%', want: { surge: 1, unavailable: 1 } },
    { name: 'both zero ints', desired: 3, surge: 0, unavail: 0, want: { surge: 0, unavailable: 1 } },
    { name: 'zero percent and zero', desired: 5, surge: '0%', unavail: 0, want: { surge: 0, unavailable: 1 } },
    { name: '30% of 5', desired: 5, surge: '30%', unavail: '30%', want: { surge: 2, unavailable: 1 } },
    { name: 'absolute numbers', desired: 10, surge: 3, unavail: 2, want: { surge: 3, unavailable: 2 } },
  ];
  for (const tc of cases) assert.deepEqual(resolveFenceposts(tc.surge, tc.unavail, tc.desired), tc.want, tc.name);
});

test('computeHash: upstream SafeEncodeString alphabet, depends on template and collisionCount', () => {
  const t = deployment().spec?.template;
  const h = computeHash(t);
  assert.match(h, /^[bcdf2456789]{1,10}$/, 'digits 0-9 encode to 4 5 6 7 8 9 b c d f');
  assert.equal(computeHash(structuredClone(t)), h, 'deterministic');
  assert.notEqual(computeHash(t, 1), h);
  assert.notEqual(computeHash(deployment({ image: 'nginx:1.26' }).spec?.template), h);
  const labelled = structuredClone(t);
  labelled!.metadata!.labels!['pod-template-hash'] = h;
  assert.ok(equalIgnoreHash(labelled, t), 'the hash label is ignored when comparing templates');
});

test('equalIgnoreHash: empty objects and arrays equal absent ones, as Semantic.DeepEqual sees zero values', () => {
  const t = deployment().spec?.template;
  const cases = [
    { name: 'resources: {} as kubectl rollout undo sends it', mutate: (x: any) => { x.spec.containers[0].resources = {}; }, equal: true },
    { name: 'creationTimestamp: null', mutate: (x: any) => { x.metadata.creationTimestamp = null; }, equal: true },
    { name: 'empty env list', mutate: (x: any) => { x.spec.containers[0].env = []; }, equal: true },
    { name: 'a different image', mutate: (x: any) => { x.spec.containers[0].image = 'nginx:1.27'; }, equal: false },
    { name: 'a resource limit', mutate: (x: any) => { x.spec.containers[0].resources = { limits: { cpu: '1' } }; }, equal: false },
  ];
  for (const c of cases) {
    const other = structuredClone(t) as any;
    c.mutate(other);
    assert.equal(equalIgnoreHash(other, t), c.equal, c.name);
  }
});

test('new Deployment: creates <deploy>-<hash> with all replicas, then reports success', () => {
  const w = new World(deployment());
  const first = w.sync();
  assert.equal(first.creates.length, 1);
  const rs = first.creates[0];
  const hash = computeHash(w.d.spec?.template);
  assert.equal(rs.metadata?.name, `web-${hash}`);
  assert.equal(rs.spec?.replicas, 3);
  assert.deepEqual(rs.spec?.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
  assert.equal(rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
  assert.deepEqual(rs.metadata?.ownerReferences?.[0], { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true });
  assert.equal(rs.metadata?.annotations?.[REVISION_ANNOTATION], '1');
  assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
  assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
  assert.deepEqual(first.events, [{ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} from 0 to 3` }]);
  assert.equal(first.annotations[REVISION_ANNOTATION], '1');
  const prog = first.status.conditions?.find((c) => c.type === 'Progressing');
  assert.equal(prog?.reason, 'NewReplicaSetCreated');
  assert.equal(prog?.message, `Created new replica set "web-${hash}"`);
  const avail = first.status.conditions?.find((c) => c.type === 'Available');
  assert.deepEqual([avail?.status, avail?.reason, avail?.message], ['False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.']);

  w.settle();
  const second = w.sync();
  assert.deepEqual([second.status.replicas, second.status.updatedReplicas, second.status.readyReplicas, second.status.availableReplicas, second.status.unavailableReplicas, second.status.observedGeneration], [3, 3, 3, 3, 0, 1]);
  const done = second.status.conditions?.find((c) => c.type === 'Progressing');
  assert.deepEqual([done?.status, done?.reason, done?.message], ['True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`]);
  const ok = second.status.conditions?.find((c) => c.type === 'Available');
  assert.deepEqual([ok?.status, ok?.reason, ok?.message], ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']);
});

test('RollingUpdate 3 -> 3 with 25%/25% (surge 1, unavailable 0) proceeds one pod at a time, as upstream', () => {
  const w = new World(deployment());
  w.rolloutUntilStable();
  const oldName = w.rss[0].metadata?.name as string;
  w.events = [];
  w.d = { ...w.d, metadata: { ...w.d.metadata, generation: 2 }, spec: { ...w.d.spec!, template: deployment({ image: 'nginx:1.26' }).spec!.template } };
  w.rolloutUntilStable();
  const newName = `web-${computeHash(w.d.spec?.template)}`;
  assert.deepEqual(w.events, [
    `Scaled up replica set ${newName} from 0 to 1`,
    `Scaled down replica set ${oldName} to 2 from 3`,
    `Scaled up replica set ${newName} to 2 from 1`,
    `Scaled down replica set ${oldName} to 1 from 2`,
    `Scaled up replica set ${newName} to 3 from 2`,
    `Scaled down replica set ${oldName} to 0 from 1`,
  ]);
  assert.equal(w.rs(oldName).spec?.replicas, 0);
  assert.equal(w.rs(newName).spec?.replicas, 3);
  assert.equal(w.rs(newName).metadata?.annotations?.[REVISION_ANNOTATION], '2');
  assert.equal(w.d.metadata?.annotations?.[REVISION_ANNOTATION], '2');
  assert.equal(w.d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
});

test('RollingUpdate of 10 with 25%/25% keeps at most 13 pods and at least 8 available at every step', () => {
  const w = new World(deployment({ replicas: 10 }));
  w.rolloutUntilStable();
  w.d = { ...w.d, spec: { ...w.d.spec!, template: deployment({ image: 'nginx:1.26' }).spec!.template } };
  for (let i = 0; i < 30; i++) {
    const plan = w.sync();
    const total = w.rss.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
    assert.ok(total <= 13, `step ${i}: ${total} pods`);
    w.settle();
    const available = w.rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    assert.ok(available >= 8, `step ${i}: ${available} available`);
    if (plan.updates.length === 0 && plan.creates.length === 0 && !plan.statusChanged) break;
  }
  assert.equal(w.events[1].replace(/web-\w+/, 'web-new'), 'Scaled up replica set web-new from 0 to 3');
  assert.equal(w.rss.find((rs) => rs.spec?.template?.spec?.containers[0].image === 'nginx:1.26')?.spec?.replicas, 10);
});

test('cleanupUnhealthyReplicas: unavailable old pods are scaled away first', () => {
  const w = new World(deployment({ replicas: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
  w.rolloutUntilStable();
  const oldName = w.rss[0].metadata?.name as string;
  Object.assign(w.rss[0], { status: { replicas: 3, readyReplicas: 1, availableReplicas: 1 } });
  w.d = { ...w.d, spec: { ...w.d.spec!, template: deployment({ image: 'broken:1' }).spec!.template } };
  w.events = [];
  w.sync();
  const newName = `web-${computeHash(w.d.spec?.template)}`;
  // Same pass: allPods 4, minAvailable 2, new unavailable 1, so 1 may go; only 1 old pod is
  // available (not above minAvailable), so the scale-down comes from cleaning up unhealthy pods.
  assert.deepEqual(w.events, [`Scaled up replica set ${newName} from 0 to 1`, `Scaled down replica set ${oldName} to 2 from 3`]);
  w.sync();
  // The freed slot is surge room again: 2 old + 1 new < 4, so the new ReplicaSet grows.
  assert.deepEqual(w.events.slice(2), [`Scaled up replica set ${newName} to 2 from 1`]);
});

test('Recreate: scales old to 0, waits for old pods to go, then creates the new ReplicaSet', () => {
  const w = new World(deployment({ strategy: { type: 'Recreate' } }));
  w.rolloutUntilStable();
  const old = w.rss[0];
  const oldName = old.metadata?.name as string;
  w.d = { ...w.d, spec: { ...w.d.spec!, template: deployment({ image: 'nginx:1.26' }).spec!.template } };
  w.events = [];
  w.sync();
  assert.deepEqual(w.events, [`Scaled down replica set ${oldName} to 0 from 3`]);
  const runningPod: Pod = { metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: oldName, uid: old.metadata?.uid as string, controller: true }] }, status: { phase: 'Running' } };
  Object.assign(w.rs(oldName), { status: { replicas: 0 } });
  const waiting = planDeployment(w.d, w.rss, [runningPod], w.now);
  assert.equal(waiting.creates.length, 0, 'an old pod still running blocks the new ReplicaSet');
  const done = planDeployment(w.d, w.rss, [{ ...runningPod, status: { phase: 'Succeeded' } }], w.now);
  const newName = `web-${computeHash(w.d.spec?.template)}`;
  assert.equal(done.creates[0]?.metadata?.name, newName);
  assert.deepEqual(done.events.map((e) => e.message), [`Scaled up replica set ${newName} from 0 to 3`]);
});

test('rollout undo: the old template becomes the new ReplicaSet again with the next revision and a history', () => {
  const w = new World(deployment());
  w.rolloutUntilStable();
  const v1 = w.d.spec!.template;
  const firstName = w.rss[0].metadata?.name as string;
  w.d = { ...w.d, spec: { ...w.d.spec!, template: deployment({ image: 'nginx:1.26' }).spec!.template } };
  w.rolloutUntilStable();
  w.events = [];
  w.d = { ...w.d, spec: { ...w.d.spec!, template: v1 } };
  w.rolloutUntilStable();
  assert.equal(w.rss.length, 2, 'no third ReplicaSet');
  assert.equal(w.rs(firstName).metadata?.annotations?.[REVISION_ANNOTATION], '3');
  assert.equal(w.rs(firstName).metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], '1');
  assert.equal(w.d.metadata?.annotations?.[REVISION_ANNOTATION], '3');
  assert.equal(w.rs(firstName).spec?.replicas, 3);
  assert.equal(w.events[0], `Scaled up replica set ${firstName} to 1 from 0`);
});

test('paused: no new ReplicaSet for a template change, Progressing Unknown DeploymentPaused; resume continues', () => {
  const w = new World(deployment());
  w.rolloutUntilStable();
  w.d = { ...w.d, spec: { ...w.d.spec!, paused: true, template: deployment({ image: 'nginx:1.26' }).spec!.template } };
  const plan = w.sync();
  assert.equal(plan.creates.length, 0);
  const c = plan.status.conditions?.find((x) => x.type === 'Progressing');
  assert.deepEqual([c?.status, c?.reason, c?.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  w.d = { ...w.d, spec: { ...w.d.spec!, paused: false } };
  const resumed = w.sync();
  assert.equal(resumed.creates.length, 1);
  const r = resumed.status.conditions?.find((x) => x.type === 'Progressing');
  assert.deepEqual([r?.status, r?.reason], ['True', 'NewReplicaSetCreated']);
});

test('progressDeadlineSeconds: no progress past the deadline gives ProgressDeadlineExceeded', () => {
  const w = new World(deployment({ progressDeadlineSeconds: 60 }));
  const first = w.sync();
  const name = first.creates[0].metadata?.name;
  assert.equal(first.requeueAfterMs, 61_000, 'requeued one second after the deadline would pass');
  w.now = T0 + 30_000;
  assert.equal(w.sync().status.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetCreated');
  w.now = T0 + 61_000;
  const late = w.sync();
  const c = late.status.conditions?.find((x) => x.type === 'Progressing');
  assert.deepEqual([c?.status, c?.reason, c?.message], ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${name}" has timed out progressing.`]);
});

test('proportional scaling mid-rollout: 10 -> 15 with maxSurge 3 adds 3 to the old and 2 to the new ReplicaSet', () => {
  const d = deployment({ replicas: 15, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
  const ann = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' };
  const mk = (name: string, replicas: number, created: string, image: string, rev: string): ReplicaSet => ({
    metadata: { name, uid: name, creationTimestamp: created, annotations: { ...ann, [REVISION_ANNOTATION]: rev } },
    spec: { replicas, selector: {}, template: deployment({ image }).spec!.template },
    status: { replicas, availableReplicas: replicas },
  });
  const plan = planDeployment(d, [mk('web-old', 8, '2024-01-01T00:00:00Z', 'nginx:1.0', '1'), mk('web-new', 5, '2024-01-02T00:00:00Z', 'nginx:1.25', '2')], [], T0);
  const sizes = Object.fromEntries(plan.updates.map((rs) => [rs.metadata?.name, rs.spec?.replicas]));
  assert.deepEqual(sizes, { 'web-old': 11, 'web-new': 7 });
  assert.deepEqual(plan.events.map((e) => e.message), ['Scaled up replica set web-old to 11 from 8', 'Scaled up replica set web-new to 7 from 5']);
});

test('revisionHistoryLimit: the oldest idle ReplicaSets beyond the limit are deleted once complete', () => {
  const w = new World(deployment({ revisionHistoryLimit: 1 }));
  w.rolloutUntilStable();
  const first = w.rss[0].metadata?.name;
  w.d = { ...w.d, spec: { ...w.d.spec!, template: deployment({ image: 'a:2' }).spec!.template } };
  w.rolloutUntilStable();
  assert.ok(w.rss.some((rs) => rs.metadata?.name === first), 'one old ReplicaSet kept');
  w.d = { ...w.d, spec: { ...w.d.spec!, template: deployment({ image: 'a:3' }).spec!.template } };
  w.rolloutUntilStable();
  assert.equal(w.rss.length, 2);
  assert.ok(!w.rss.some((rs) => rs.metadata?.name === first), 'revision 1 deleted');
});

test('hash collision: an existing ReplicaSet of the same name with another template bumps collisionCount', () => {
  const d = deployment();
  const hash = computeHash(d.spec?.template);
  const squatter: ReplicaSet = {
    metadata: { name: `web-${hash}`, uid: 'other', creationTimestamp: '2024-01-01T00:00:00Z', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] },
    spec: { replicas: 0, selector: {}, template: deployment({ image: 'something:else' }).spec!.template },
    status: { replicas: 0 },
  };
  const first = planDeployment(d, [squatter], [], T0);
  assert.equal(first.creates.length, 0);
  assert.equal(first.status.collisionCount, 1);
  const second = planDeployment({ ...d, status: first.status }, [squatter], [], T0 + 1000);
  assert.equal(second.creates[0]?.metadata?.name, `web-${computeHash(d.spec?.template, 1)}`);
  assert.notEqual(computeHash(d.spec?.template, 1), hash);
});

test('a Deployment being deleted only has its status computed', () => {
  const w = new World(deployment());
  w.rolloutUntilStable();
  const deleting = { ...w.d, metadata: { ...w.d.metadata, deletionTimestamp: '2024-05-01T11:00:00Z' }, spec: { ...w.d.spec!, replicas: 5 } };
  const plan = planDeployment(deleting, w.rss, [], w.now);
  assert.deepEqual([plan.creates.length, plan.updates.length, plan.deletes.length, plan.events.length], [0, 0, 0, 0]);
  assert.equal(plan.status.availableReplicas, 3);
});

test('scaling a settled Deployment (kubectl scale) scales its only ReplicaSet directly', () => {
  const w = new World(deployment({ replicas: 2 }));
  w.rolloutUntilStable();
  const name = w.rss[0].metadata?.name;
  w.events = [];
  w.d = { ...w.d, spec: { ...w.d.spec!, replicas: 4 } };
  w.rolloutUntilStable();
  w.d = { ...w.d, spec: { ...w.d.spec!, replicas: 2 } };
  w.rolloutUntilStable();
  assert.deepEqual(w.events, [`Scaled up replica set ${name} to 4 from 2`, `Scaled down replica set ${name} to 2 from 4`]);
  assert.equal(w.rss[0].metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '2');
});

test('resolveCreateConflict: adopt our own equal ReplicaSet, otherwise bump collisionCount', () => {
  const d = deployment();
  const ours: ReplicaSet = { metadata: { name: 'web-x', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] }, spec: { selector: {}, template: d.spec!.template } };
  assert.deepEqual(resolveCreateConflict(d, ours), { adopt: true });
  const foreign: ReplicaSet = { ...ours, metadata: { name: 'web-x' } };
  assert.deepEqual(resolveCreateConflict({ ...d, status: { collisionCount: 2 } }, foreign), { adopt: false, status: { collisionCount: 3 } });
});
