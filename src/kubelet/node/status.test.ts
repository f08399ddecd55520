import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MachineInfo } from './machine.js';
import { aggregateMessage, nodeImages, nodeStatusHasChanged, RuntimeState, setNodeStatus, type NodeObject, type NodeStatusInputs } from './status.js';
import type { Image } from '../runtime/index.js';

const MACHINE: MachineInfo = {
  cpus: 2, memoryBytes: 4029972n * 1024n, ephemeralStorageBytes: 102626232n * 1024n,
  machineID: 'm', systemUUID: 'u', bootID: 'b', kernelVersion: '6.1.0-18-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)',
  operatingSystem: 'linux', architecture: 'amd64',
};

function inputs(over: Partial<NodeStatusInputs> = {}): NodeStatusInputs {
  return {
    now: new Date('2026-11-26T02:00:00.500Z'), machine: MACHINE,
    runtimeVersion: { runtimeApiVersion: 'v1', runtimeName: 'containerd', runtimeVersion: '1.6.20~ds1' },
    notReadyErrors: [], images: [], addresses: [{ type: 'InternalIP', address: '127.0.1.1' }, { type: 'Hostname', address: 'node01' }],
    kubeletPort: 10250, kubeletVersion: 'v1.32.0+berth', ...over,
  };
}

test('RuntimeState: the Ready messages of pkg/kubelet/runtime.go and updateRuntimeUp', () => {
  const up = [{ type: 'RuntimeReady', status: true, reason: '', message: '' }, { type: 'NetworkReady', status: true, reason: '', message: '' }];
  const cases: Array<{ name: string; steps: Array<{ at: number; conditions: typeof up }>; at: number; want: string[] }> = [
    { name: 'never checked', steps: [], at: 0, want: ['container runtime status check may not have completed yet', 'network state unknown'] },
    { name: 'healthy', steps: [{ at: 0, conditions: up }], at: 29_999, want: [] },
    { name: 'not seen healthy for 30 s', steps: [{ at: 0, conditions: up }], at: 30_000, want: ['container runtime is down'] },
    {
      name: 'network plugin not ready',
      steps: [{ at: 0, conditions: [up[0], { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' }] }],
      at: 1,
      want: ['container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized'],
    },
    {
      name: 'runtime not ready and network condition missing',
      steps: [{ at: 0, conditions: [{ type: 'RuntimeReady', status: false, reason: 'Down', message: 'x' }] }],
      at: 1,
      want: ['container runtime status check may not have completed yet', 'container runtime not ready: RuntimeReady=false reason:Down message:x', 'container runtime network not ready: <nil>'],
    },
  ];
  for (const tc of cases) {
    const s = new RuntimeState();
    for (const st of tc.steps) s.observe(st.conditions, st.at);
    assert.deepEqual(s.errors(tc.at), tc.want, tc.name);
  }
});

test('aggregateMessage prints as utilerrors.NewAggregate', () => {
  assert.equal(aggregateMessage(['a']), 'a');
  assert.equal(aggregateMessage(['a', 'b', 'a']), '[a, b]');
});

test('setNodeStatus on a new Node: capacity, allocatable, nodeInfo, conditions and events', () => {
  const node: NodeObject = { metadata: { name: 'node01' } };
  const events = setNodeStatus(node, inputs());
  const st = node.status as Record<string, any>;
  assert.deepEqual(st.capacity, { cpu: '2', 'ephemeral-storage': '102626232Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '4029972Ki', pods: '110' });
  // 102626232Ki minus float32(0.1) of it (nodefs.available<10%), memory minus 100Mi (memory.available<100Mi).
  assert.deepEqual(st.allocatable, { cpu: '2', 'ephemeral-storage': '94580335255', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '3927572Ki', pods: '110' });
  assert.deepEqual(st.nodeInfo, {
    machineID: 'm', systemUUID: 'u', bootID: 'b', kernelVersion: '6.1.0-18-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)',
    containerRuntimeVersion: 'containerd://1.6.20~ds1', kubeletVersion: 'v1.32.0+berth', kubeProxyVersion: 'v1.32.0+berth', operatingSystem: 'linux', architecture: 'amd64',
  });
  assert.deepEqual(st.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.deepEqual(st.conditions.map((c: any) => [c.type, c.status, c.lastHeartbeatTime, c.lastTransitionTime]), [
    ['MemoryPressure', 'False', '2026-11-26T02:00:00Z', '2026-11-26T02:00:00Z'],
    ['DiskPressure', 'False', '2026-11-26T02:00:00Z', '2026-11-26T02:00:00Z'],
    ['PIDPressure', 'False', '2026-11-26T02:00:00Z', '2026-11-26T02:00:00Z'],
    ['Ready', 'True', '2026-11-26T02:00:00Z', '2026-11-26T02:00:00Z'],
  ]);
  assert.deepEqual(events, ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID'], 'a new Ready condition records no event');
});

test('setNodeStatus keeps transition times while a status holds and records NodeNotReady/NodeReady on flips', () => {
  const node: NodeObject = { metadata: { name: 'node01' } };
  setNodeStatus(node, inputs());
  const steps: Array<{ name: string; at: string; errs: string[]; events: string[]; ready: [string, string, string, string] }> = [
    { name: 'still ready', at: '2026-11-26T02:00:10Z', errs: [], events: [], ready: ['True', 'KubeletReady', 'kubelet is posting ready status', '2026-11-26T02:00:00Z'] },
    { name: 'runtime down', at: '2026-11-26T02:00:20Z', errs: ['container runtime is down', 'x'], events: ['NodeNotReady'], ready: ['False', 'KubeletNotReady', '[container runtime is down, x]', '2026-11-26T02:00:20Z'] },
    { name: 'still down', at: '2026-11-26T02:00:30Z', errs: ['container runtime is down'], events: [], ready: ['False', 'KubeletNotReady', 'container runtime is down', '2026-11-26T02:00:20Z'] },
    { name: 'back', at: '2026-11-26T02:00:40Z', errs: [], events: ['NodeReady'], ready: ['True', 'KubeletReady', 'kubelet is posting ready status', '2026-11-26T02:00:40Z'] },
  ];
  for (const s of steps) {
    const events = setNodeStatus(node, inputs({ now: new Date(s.at), notReadyErrors: s.errs }));
    const ready = (node.status as any).conditions.find((c: any) => c.type === 'Ready');
    assert.deepEqual(events, s.events, s.name);
    assert.deepEqual([ready.status, ready.reason, ready.message, ready.lastTransitionTime], s.ready, s.name);
    assert.equal(ready.lastHeartbeatTime, s.at, s.name);
    assert.equal((node.status as any).conditions[0].lastTransitionTime, '2026-11-26T02:00:00Z', `${s.name}: MemoryPressure never flipped`);
  }
});

test('nodeImages: largest first, 50 at most, digests then tags, 5 names at most', () => {
  const img = (i: number, size: number, tags = 1): Image => ({
    id: `sha256:${i}`, size, pinned: false, repoDigests: [`r${i}@sha256:d`], repoTags: Array.from({ length: tags }, (_, t) => `r${i}:t${t}`),
  });
  const many = Array.from({ length: 60 }, (_, i) => img(i, i * 10));
  const got = nodeImages(many);
  assert.equal(got.length, 50);
  assert.deepEqual(got[0], { names: ['r59@sha256:d', 'r59:t0'], sizeBytes: 590 });
  assert.equal(got[49].sizeBytes, 100);
  assert.deepEqual(nodeImages([img(1, 1, 7)])[0].names, ['r1@sha256:d', 'r1:t0', 'r1:t1', 'r1:t2', 'r1:t3']);
});

test('nodeStatusHasChanged ignores only heartbeat times', () => {
  const node: NodeObject = { metadata: { name: 'node01' } };
  setNodeStatus(node, inputs());
  const original = structuredClone(node.status);
  const cases: Array<{ name: string; change: (n: NodeObject) => void; want: boolean }> = [
    { name: 'a later heartbeat', change: (n) => setNodeStatus(n, inputs({ now: new Date('2026-11-26T02:00:10Z') })), want: false },
    { name: 'a new image', change: (n) => setNodeStatus(n, inputs({ images: [{ id: 'x', size: 1, pinned: false, repoDigests: [], repoTags: ['x:1'] }] })), want: true },
    { name: 'not ready', change: (n) => setNodeStatus(n, inputs({ notReadyErrors: ['e'] })), want: true },
    { name: 'another address', change: (n) => setNodeStatus(n, inputs({ addresses: [{ type: 'InternalIP', address: '127.0.1.2' }] })), want: true },
    { name: 'a condition someone else set', change: (n) => (n.status as any).conditions.push({ type: 'NetworkUnavailable', status: 'False' }), want: true },
  ];
  for (const tc of cases) {
    const n = structuredClone(node);
    tc.change(n);
    assert.equal(nodeStatusHasChanged(original, n.status), tc.want, tc.name);
  }
});
