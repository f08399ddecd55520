import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { planDeployment } from './plan.js';
import { rolloutStatus } from './rollout-status.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

function deployment(replicas: number, generation: number, status: Deployment['status'], extra: Partial<Deployment['metadata']> = {}): Deployment {
  return { metadata: { name: 'web', generation, ...extra }, spec: { replicas, selector: {}, template: {} }, status };
}

test('rolloutStatus prints kubectl rollout status lines', () => {
  const cases = [
    { name: 'spec not observed', d: deployment(3, 2, { observedGeneration: 1 }), want: { message: 'Waiting for deployment spec update to be observed...\n', done: false } },
    { name: 'updating', d: deployment(3, 2, { observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3 }), want: { message: 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n', done: false } },
    { name: 'old pending termination', d: deployment(3, 2, { observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }), want: { message: 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n', done: false } },
    { name: 'waiting for availability', d: deployment(3, 2, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }), want: { message: 'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...\n', done: false } },
    { name: 'done', d: deployment(3, 2, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }), want: { message: 'deployment "web" successfully rolled out\n', done: true } },
    {
      name: 'deadline exceeded',
      d: deployment(3, 2, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
      want: { message: '', done: false, error: 'deployment "web" exceeded its progress deadline' },
    },
  ];
  for (const tc of cases) assert.deepEqual(rolloutStatus(tc.d), tc.want, tc.name);
  assert.equal(rolloutStatus(deployment(1, 1, {}, { annotations: { 'deployment.kubernetes.io/revision': '2' } }), 3).error, 'desired revision (3) is different from the running revision (2)');
});

test('a rollout driven by planDeployment reads as kubectl expects, ending in success', () => {
  let d: Deployment = {
    metadata: { name: 'web', namespace: 'default', uid: 'u', generation: 1 },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, progressDeadlineSeconds: 600, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
  let rss: ReplicaSet[] = [];
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    const plan = planDeployment(d, rss, [], T0 + i * 1000);
    rss = [...rss.map((rs) => plan.updates.find((u) => u.metadata?.name === rs.metadata?.name) ?? rs), ...plan.creates];
    d = { ...d, status: plan.status };
    const line = rolloutStatus(d).message;
    if (seen[seen.length - 1] !== line) seen.push(line);
    // Pods come up one at a time.
    rss = rss.map((rs) => {
      const want = rs.spec?.replicas ?? 0;
      const have = Math.min(want, (rs.status?.availableReplicas ?? 0) + 1);
      return { ...rs, status: { replicas: want, readyReplicas: have, availableReplicas: have } };
    });
  }
  assert.deepEqual(seen, [
    'Waiting for deployment "web" rollout to finish: 0 out of 2 new replicas have been updated...\n',
    'Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...\n',
    'deployment "web" successfully rolled out\n',
  ]);
});
