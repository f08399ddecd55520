import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planGarbageCollection, type GcObject } from './gc.js';

const deploy = (extra: Partial<GcObject> = {}): GcObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', uid: 'd1', ...extra });
const rs = (extra: Partial<GcObject> = {}): GcObject => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'default', name: 'web-abc', uid: 'r1',
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true, blockOwnerDeletion: true }], ...extra,
});
const pod = (name: string, extra: Partial<GcObject> = {}): GcObject => ({
  apiVersion: 'v1', kind: 'Pod', namespace: 'default', name, uid: `p-${name}`,
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r1', controller: true, blockOwnerDeletion: true }], ...extra,
});
const NOW = '2024-01-01T00:00:00Z';

test('planGarbageCollection decisions', () => {
  const cases: Array<{ name: string; objects: GcObject[]; want: unknown[] }> = [
    { name: 'owners present: nothing to do', objects: [deploy(), rs(), pod('a')], want: [] },
    {
      name: 'background: owner gone, dependent deleted in the background (its pods follow on the next pass)',
      objects: [rs(), pod('a')],
      want: [['delete', 'ReplicaSet/web-abc', 'Background']],
    },
    {
      name: 'owner replaced by another object of the same name (uid differs): dangling',
      objects: [deploy({ uid: 'd2' }), rs()],
      want: [['delete', 'ReplicaSet/web-abc', 'Background']],
    },
    {
      name: 'owner in another namespace does not count',
      objects: [deploy({ namespace: 'other' }), rs()],
      want: [['delete', 'ReplicaSet/web-abc', 'Background']],
    },
    {
      name: 'orphan: references removed from dependents, then the finalizer',
      objects: [deploy({ deletionTimestamp: NOW, finalizers: ['orphan'] }), rs(), pod('a')],
      want: [['removeOwnerReferences', 'ReplicaSet/web-abc', ['d1']], ['removeFinalizer', 'Deployment/web', 'orphan']],
    },
    {
      name: 'foreground: dependent with its own dependents is deleted in the foreground',
      objects: [deploy({ deletionTimestamp: NOW, finalizers: ['foregroundDeletion'] }), rs(), pod('a')],
      want: [['delete', 'ReplicaSet/web-abc', 'Foreground']],
    },
    {
      name: 'foreground: leaf dependents deleted while the owner waits',
      objects: [rs({ deletionTimestamp: NOW, finalizers: ['foregroundDeletion'] }), pod('a'), pod('b')],
      want: [['delete', 'Pod/a', 'Background'], ['delete', 'Pod/b', 'Background']],
    },
    {
      name: 'foreground: finalizer removed once no blocking dependent remains',
      objects: [rs({ deletionTimestamp: NOW, finalizers: ['foregroundDeletion'], ownerReferences: [] }), pod('x', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r1', blockOwnerDeletion: false }] })],
      want: [['removeFinalizer', 'ReplicaSet/web-abc', 'foregroundDeletion'], ['delete', 'Pod/x', 'Background']],
    },
    {
      name: 'several owners, one gone: only the dangling reference is removed',
      objects: [rs(), pod('a', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r1' }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', uid: 'c9' }] })],
      want: [['delete', 'ReplicaSet/web-abc', 'Background'], ['removeOwnerReferences', 'Pod/a', ['c9']]],
    },
    {
      name: 'an object already being deleted is left alone',
      objects: [pod('a', { deletionTimestamp: NOW })],
      want: [],
    },
  ];
  for (const tc of cases) {
    const got = planGarbageCollection(tc.objects).map((a) => {
      const ref = `${a.target.kind}/${a.target.name}`;
      if (a.action === 'delete') return [a.action, ref, a.propagationPolicy];
      if (a.action === 'removeOwnerReferences') return [a.action, ref, a.ownerUids];
      return [a.action, ref, a.finalizer];
    });
    assert.deepEqual(got, tc.want, tc.name);
  }
});
