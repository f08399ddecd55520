import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { planNamespaceDeletion } from './deletion.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const terminating = (conditions: Namespace['status'] = {}): Namespace => ({
  metadata: { name: 'team-a', deletionTimestamp: '2024-05-01T09:59:00Z' },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Terminating', ...conditions },
});

test('planNamespaceDeletion: deletes content and reports what remains in upstream wording', () => {
  const plan = planNamespaceDeletion(terminating(), [
    { group: '', resource: 'pods', items: [{ name: 'web-1' }, { name: 'web-2', deletionTimestamp: '2024-05-01T09:59:30Z' }] },
    { group: 'apps', resource: 'deployments', items: [{ name: 'web', finalizers: ['foregroundDeletion'] }] },
    { group: '', resource: 'configmaps', items: [] },
  ], NOW);
  assert.deepEqual(plan.deletes, [{ group: '', resource: 'pods', name: 'web-1' }, { group: 'apps', resource: 'deployments', name: 'web' }]);
  assert.equal(plan.finalize, false);
  const by = Object.fromEntries(plan.conditions.map((c) => [c.type, [c.status, c.reason, c.message]]));
  assert.deepEqual(by, {
    NamespaceDeletionDiscoveryFailure: ['False', 'ResourcesDiscovered', 'All resources successfully discovered'],
    NamespaceDeletionGroupVersionParsingFailure: ['False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
    NamespaceDeletionContentFailure: ['False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
    NamespaceContentRemaining: ['True', 'SomeResourcesRemain', 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances'],
    NamespaceFinalizersRemaining: ['True', 'SomeFinalizersRemain', 'Some content in the namespace has finalizers remaining: foregroundDeletion in 1 resource instances'],
  });
});

test('planNamespaceDeletion: an empty namespace is finalized; conditions flip to their ok wording', () => {
  const first = planNamespaceDeletion(terminating(), [{ group: '', resource: 'pods', items: [{ name: 'a' }] }], NOW);
  const done = planNamespaceDeletion(terminating({ conditions: first.conditions }), [{ group: '', resource: 'pods', items: [] }], NOW + 5000);
  assert.equal(done.finalize, true);
  assert.equal(done.conditionsChanged, true);
  const remaining = done.conditions.find((c) => c.type === 'NamespaceContentRemaining');
  assert.deepEqual([remaining?.status, remaining?.reason, remaining?.message, remaining?.lastTransitionTime], ['False', 'ContentRemoved', 'All content successfully removed', '2024-05-01T10:00:05Z']);
  const again = planNamespaceDeletion(terminating({ conditions: done.conditions }), [], NOW + 9000);
  assert.equal(again.conditionsChanged, false, 'no rewrite when nothing changed');
});

test('planNamespaceDeletion: delete failures, and namespaces not terminating or already finalized', () => {
  const failed = planNamespaceDeletion(terminating(), [], NOW, ['pods is forbidden']);
  assert.equal(failed.finalize, false);
  assert.equal(failed.conditions.find((c) => c.type === 'NamespaceDeletionContentFailure')?.message, 'Failed to delete all resource types, 1 remaining: pods is forbidden');
  const live: Namespace = { metadata: { name: 'x' }, spec: { finalizers: ['kubernetes'] } };
  assert.deepEqual(planNamespaceDeletion(live, [{ group: '', resource: 'pods', items: [{ name: 'a' }] }], NOW).deletes, []);
  const finalized: Namespace = { ...terminating(), spec: { finalizers: [] } };
  assert.equal(planNamespaceDeletion(finalized, [], NOW).finalize, false);
});
