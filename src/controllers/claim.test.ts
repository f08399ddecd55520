import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { claimObjects } from './claim.js';

const rs = { metadata: { name: 'web-abc', uid: 'rs-1' } };
const pod = (name: string, labels: Record<string, string>, owner?: string, deleting = false): Pod => ({
  metadata: {
    name, labels, deletionTimestamp: deleting ? '2024-01-01T00:00:00Z' : undefined,
    ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner, controller: true }] : undefined,
  },
});

test('claimObjects adopts matching orphans, releases non-matching own objects, ignores others', () => {
  const selector = { matchLabels: { app: 'web' } };
  const pods = [
    pod('mine', { app: 'web' }, 'rs-1'),
    pod('orphan', { app: 'web' }),
    pod('relabelled', { app: 'db' }, 'rs-1'),
    pod('theirs', { app: 'web' }, 'rs-2'),
    pod('orphan-other', { app: 'db' }),
    pod('orphan-leaving', { app: 'web' }, undefined, true),
  ];
  const names = (xs: Pod[]): string[] => xs.map((p) => p.metadata?.name ?? '');
  const c = claimObjects(rs, selector, pods);
  assert.deepEqual({ owned: names(c.owned), adopt: names(c.adopt), release: names(c.release) }, { owned: ['mine', 'orphan'], adopt: ['orphan'], release: ['relabelled'] });
  const deleting = claimObjects({ metadata: { ...rs.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }, selector, pods);
  assert.deepEqual({ owned: names(deleting.owned), adopt: names(deleting.adopt), release: names(deleting.release) }, { owned: ['mine', 'relabelled'], adopt: [], release: [] });
  assert.deepEqual(claimObjects(rs, undefined, pods).adopt, [], 'a nil selector adopts nothing');
});
