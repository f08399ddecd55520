import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../common/clock.js';
import { desiredTaints, evictionFor, evictionRecord, planNodeHealth } from './lifecycle.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function node(heartbeat: number | undefined, extra: Partial<NonNullable<Node['spec']>> = {}, ready = 'True'): Node {
  return {
    metadata: { name: 'node01', creationTimestamp: iso(T0 - 3_600_000) },
    spec: { ...extra },
    status: heartbeat === undefined ? {} : {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0 - 3_000_000) },
        { type: 'Ready', status: ready, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0 - 3_000_000) },
      ],
    },
  };
}

test('planNodeHealth: Ready turns Unknown only after the 50s grace period, with upstream reason and message', () => {
  const clock = new FakeClock(T0);
  const n = node(T0);
  clock.advance(50_000);
  const fresh = planNodeHealth(n, clock.now());
  assert.equal(fresh.conditionsChanged, false, 'exactly at the grace period: still Ready');
  assert.deepEqual(fresh.taints, []);
  clock.advance(1000);
  const stale = planNodeHealth(n, clock.now());
  const ready = stale.conditions.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason, ready?.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
  assert.equal(ready?.lastHeartbeatTime, iso(T0), 'heartbeat time is kept');
  assert.equal(stale.conditions.find((c) => c.type === 'MemoryPressure')?.status, 'Unknown');
  assert.equal(stale.conditions.find((c) => c.type === 'DiskPressure')?.reason, 'NodeStatusNeverUpdated');
  assert.deepEqual(stale.taints, [
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(T0 + 51_000) },
  ]);
  assert.equal(stale.taintsChanged, true);
  assert.equal(stale.markPodsNotReady, true);
  assert.deepEqual(stale.events, [{ type: 'Normal', reason: 'NodeNotReady', message: 'Node node01 status is now: NodeNotReady' }]);
  const leased = planNodeHealth(n, clock.now(), { leaseRenewTime: T0 + 40_000 });
  assert.equal(leased.conditionsChanged, false, 'a renewed Lease counts as a heartbeat');
});

test('planNodeHealth: a node that never posted status is Unknown after the startup grace period', () => {
  const n = node(undefined);
  const plan = planNodeHealth(n, T0);
  const ready = plan.conditions.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason, ready?.message], ['Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.']);
  const young: Node = { ...n, metadata: { ...n.metadata, creationTimestamp: iso(T0 - 10_000) } };
  assert.equal(planNodeHealth(young, T0).conditionsChanged, false);
});

test('desiredTaints from conditions and spec.unschedulable; unrelated taints kept, existing timeAdded kept', () => {
  const cases = [
    { name: 'ready', n: node(T0), want: [] },
    { name: 'not ready', n: node(T0, {}, 'False'), want: ['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute'] },
    { name: 'cordoned', n: node(T0, { unschedulable: true }), want: ['node.kubernetes.io/unschedulable:NoSchedule'] },
    { name: 'user taint kept', n: node(T0, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), want: ['dedicated:NoSchedule'] },
    { name: 'recovered: unreachable removed', n: node(T0, { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }), want: [] },
  ];
  for (const tc of cases) assert.deepEqual(desiredTaints(tc.n, undefined, T0).map((t) => `${t.key}:${t.effect}`), tc.want, tc.name);
  const kept = desiredTaints(node(T0, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: iso(T0 - 5000) }] }, 'False'), undefined, T0);
  assert.equal(kept.find((t) => t.effect === 'NoExecute')?.timeAdded, iso(T0 - 5000));
});

test('evictionFor: tolerationSeconds decide when pods on a NoExecute-tainted node go', () => {
  const tainted = node(T0, { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(T0) }] }, 'Unknown');
  const withTol = (tolerations: Toleration[]): Pod => ({ metadata: { name: 'web-1', namespace: 'default' }, spec: { containers: [], tolerations } });
  const defaultTols: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  const cases = [
    { name: 'no toleration: evicted now', pod: withTol([]), want: { evict: true, at: T0 + 1000 } },
    { name: 'DefaultTolerationSeconds 300s', pod: withTol(defaultTols), want: { evict: true, at: T0 + 300_000 } },
    { name: 'short toleration from the e2e test', pod: withTol([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]), want: { evict: true, at: T0 + 5000 } },
    { name: 'tolerates forever', pod: withTol([{ operator: 'Exists' }]), want: { evict: false } },
    { name: 'wrong key', pod: withTol([{ key: 'other', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]), want: { evict: true, at: T0 + 1000 } },
  ];
  for (const tc of cases) assert.deepEqual(evictionFor(tc.pod, tainted, T0 + 1000), tc.want, tc.name);
  assert.deepEqual(evictionFor(withTol([]), node(T0), T0), { evict: false }, 'no NoExecute taint');
  const rec = evictionRecord(withTol([]), T0);
  assert.equal(rec.event.message, 'Marking for deletion Pod default/web-1');
  assert.equal(rec.condition.reason, 'DeletionByTaintManager');
});
