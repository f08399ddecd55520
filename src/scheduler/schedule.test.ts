import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { schedule, type ScheduleResult } from './schedule.js';
import { podRequests } from './resources.js';
import { podTopologySpreadScore } from './scores.js';

function node(name: string, o: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; unschedulable?: boolean; taints?: NonNullable<Node['spec']>['taints']; ready?: string } = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { unschedulable: o.unschedulable, taints: o.taints },
    status: {
      allocatable: { cpu: o.cpu ?? '2', memory: o.memory ?? '4Gi', pods: o.pods ?? '110' },
      conditions: [{ type: 'Ready', status: o.ready ?? 'True' }],
    },
  };
}

function pod(name: string, o: { cpu?: string; memory?: string; owner?: string; nodeSelector?: Record<string, string>; hostPort?: number; tolerations?: NonNullable<Pod['spec']>['tolerations']; preemptionPolicy?: string; affinity?: NonNullable<Pod['spec']>['affinity'] } = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    metadata: { name, namespace: 'default', ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: o.owner, controller: true }] : undefined },
    spec: {
      nodeSelector: o.nodeSelector,
      tolerations: o.tolerations,
      preemptionPolicy: o.preemptionPolicy,
      affinity: o.affinity,
      containers: [{ name: 'c', image: 'nginx', resources: { requests }, ports: o.hostPort ? [{ containerPort: 80, hostPort: o.hostPort }] : undefined }],
    },
    status: { phase: 'Running' },
  };
}

const errorOf = (r: ScheduleResult): string => ('error' in r ? r.error : `scheduled on ${r.node}`);

test('FailedScheduling messages in upstream FitError format (the ".." ending is upstream\'s)', () => {
  const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
  const cases: Array<{ name: string; pod: Pod; nodes: Node[]; on?: Record<string, Pod[]>; want: string }> = [
    { name: 'no nodes', pod: pod('p'), nodes: [], want: 'no nodes available to schedule pods' },
    {
      name: 'insufficient cpu everywhere',
      pod: pod('p', { cpu: '3' }),
      nodes: [node('node01'), node('node02')],
      want: '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..',
    },
    {
      name: 'cpu and memory counted separately',
      pod: pod('p', { cpu: '3', memory: '8Gi' }),
      nodes: [node('node01')],
      want: '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    },
    {
      name: 'requests of pods already there count',
      pod: pod('p', { cpu: '1' }),
      nodes: [node('node01')],
      on: { node01: [pod('a', { cpu: '1500m' })] },
      want: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    },
    {
      name: 'taint and unschedulable: first failing filter per node, reasons sorted',
      pod: pod('p'),
      nodes: [node('node01', { taints: [cp] }), node('node02', { unschedulable: true, taints: [cp] })],
      want: '0/2 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    },
    {
      name: 'NotReady node is kept out by the not-ready taint',
      pod: pod('p'),
      nodes: [node('node01', { ready: 'False' }), node('node02', { ready: 'Unknown' })],
      want: '0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    },
    {
      name: 'nodeSelector mismatch and a mixed preemption verdict',
      pod: pod('p', { nodeSelector: { disk: 'ssd' }, cpu: '1' }),
      nodes: [node('node01', { labels: { disk: 'ssd' }, cpu: '500m' }), node('node02')],
      want: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling..",
    },
    {
      name: 'host port in use',
      pod: pod('p', { hostPort: 8080 }),
      nodes: [node('node01')],
      on: { node01: [pod('a', { hostPort: 8080 })] },
      want: "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..",
    },
    {
      name: 'too many pods',
      pod: pod('p'),
      nodes: [node('node01', { pods: '1' })],
      on: { node01: [pod('a')] },
      want: '0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    },
    {
      name: 'preemptionPolicy Never',
      pod: pod('p', { cpu: '3', preemptionPolicy: 'Never' }),
      nodes: [node('node01')],
      want: '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..',
    },
    {
      name: 'required node affinity on metadata.name',
      pod: pod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node09'] }] }] } } } }),
      nodes: [node('node01')],
      want: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..",
    },
  ];
  for (const tc of cases) {
    const r = schedule(tc.pod, tc.nodes, tc.on ?? {});
    assert.equal(errorOf(r), tc.want, tc.name);
    if ('error' in r) assert.deepEqual([r.event.type, r.event.reason], ['Warning', 'FailedScheduling'], tc.name);
  }
});

test('feasible nodes: tolerations, selectors and affinity let a pod through', () => {
  const cases: Array<{ name: string; pod: Pod; nodes: Node[]; want: string }> = [
    { name: 'tolerates the taint', pod: pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }), nodes: [node('node01', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })], want: 'scheduled on node01' },
    { name: 'PreferNoSchedule never blocks', pod: pod('p'), nodes: [node('node01', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })], want: 'scheduled on node01' },
    { name: 'selector picks the matching node', pod: pod('p', { nodeSelector: { disk: 'ssd' } }), nodes: [node('node01'), node('node02', { labels: { disk: 'ssd' } })], want: 'scheduled on node02' },
    { name: 'PreferNoSchedule steers away', pod: pod('p'), nodes: [node('node01', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), node('node02')], want: 'scheduled on node02' },
    { name: 'least allocated wins', pod: pod('p', { cpu: '100m' }), nodes: [node('node01'), node('node02')], want: 'scheduled on node01' },
  ];
  for (const tc of cases) assert.equal(errorOf(schedule(tc.pod, tc.nodes, {})), tc.want, tc.name);
});

test('replicas of one owner spread over two nodes; Scheduled event in upstream wording', () => {
  const nodes = [node('node01'), node('node02')];
  const on = new Map<string, Pod[]>([['node01', []], ['node02', []]]);
  const placed: string[] = [];
  for (let i = 0; i < 4; i++) {
    const p = pod(`web-abc-${i}`, { owner: 'rs-1' });
    const r = schedule(p, nodes, on);
    assert.ok('node' in r, errorOf(r));
    if (i === 0) assert.deepEqual(r.event, { type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/web-abc-0 to node01' });
    placed.push(r.node);
    on.get(r.node)?.push({ ...p, spec: { ...p.spec!, nodeName: r.node } });
  }
  assert.deepEqual(placed, ['node01', 'node02', 'node01', 'node02']);
});

test('PodTopologySpread alone: same-owner replicas repel, other workloads do not', () => {
  const nodes = [node('node01'), node('node02')];
  const only = { scores: [podTopologySpreadScore] };
  const sameOwner = schedule(pod('web-1', { owner: 'rs-1' }), nodes, { node01: [pod('web-0', { owner: 'rs-1' })], node02: [] }, only);
  assert.equal(errorOf(sameOwner), 'scheduled on node02');
  const otherOwner = schedule(pod('db-0', { owner: 'rs-2' }), nodes, { node01: [pod('web-0', { owner: 'rs-1' }), pod('web-2', { owner: 'rs-1' })], node02: [] }, only);
  assert.equal(errorOf(otherOwner), 'scheduled on node01', 'tie broken by node name: other owners are not counted');
  assert.ok('node' in sameOwner && sameOwner.scores.node02 > sameOwner.scores.node01);
});

test('podRequests: containers summed, init containers as a floor, limits stand in for requests', () => {
  const p: Pod = {
    spec: {
      initContainers: [{ name: 'init', resources: { requests: { cpu: '2' } } }],
      containers: [
        { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
        { name: 'b', resources: { limits: { cpu: '500m' } } },
      ],
      overhead: { memory: '1Mi' },
    },
  };
  assert.deepEqual(podRequests(p), { cpu: 2000, memory: 65 * 1024 * 1024 });
  assert.deepEqual(podRequests({ spec: { containers: [{ name: 'x' }] } }, true), { cpu: 100, memory: 200 * 1024 * 1024 });
});
