import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerState, ContainerStatus } from '../runtime/types.js';
import { buildPodStatus } from './pod-status.js';
import type { RuntimePodState } from './types.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;

function pod(restartPolicy: 'Always' | 'Never' | 'OnFailure' = 'Always', status: PodStatus = { phase: 'Pending', qosClass: 'BestEffort' }): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'web', image: 'nginx' }], restartPolicy },
    status: { ...status, conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-05-01T09:59:00Z' }] },
  };
}

function inst(state: ContainerState, attempt: number, exitCode = 0, reason = ''): ContainerStatus {
  return {
    id: `c${attempt}`, metadata: { name: 'web', attempt }, state, createdAt: ns(`2024-05-01T09:59:${10 + attempt}Z`),
    startedAt: ns(`2024-05-01T09:59:${10 + attempt}Z`), finishedAt: state === 'CONTAINER_EXITED' ? ns(`2024-05-01T09:59:${20 + attempt}Z`) : 0n,
    exitCode, image: 'docker.io/library/nginx:latest', imageRef: 'docker.io/library/nginx@sha256:abc', reason, message: '', labels: {}, annotations: {}, logPath: '',
  };
}

const st = (containers: ContainerStatus[], ready = true): RuntimePodState => ({
  uid: 'u1',
  sandboxes: [{ id: 'sb', attempt: 0, state: ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', createdAt: 1n, ip: ready ? '10.42.1.7' : '', additionalIps: [], labels: {} }],
  containers: [...containers].sort((a, b) => (a.createdAt > b.createdAt ? -1 : 1)),
});

test('a running container: Running, Ready, IPs, IDs as containerd reports them', () => {
  const s = buildPodStatus({ pod: pod(), state: st([inst('CONTAINER_RUNNING', 0)]), nodeIP: '127.0.1.1', now: NOW });
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.conditions!.map((c) => [c.type, c.status]), [
    ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
  ]);
  assert.equal(s.podIP, '10.42.1.7');
  assert.deepEqual(s.podIPs, [{ ip: '10.42.1.7' }]);
  assert.equal(s.hostIP, '127.0.1.1');
  assert.deepEqual(s.hostIPs, [{ ip: '127.0.1.1' }]);
  assert.equal(s.startTime, '2024-05-01T10:00:00Z');
  assert.equal(s.qosClass, 'BestEffort');
  const c = s.containerStatuses![0]!;
  assert.equal(c.containerID, 'containerd://c0');
  assert.equal(c.imageID, 'docker.io/library/nginx@sha256:abc');
  assert.equal(c.ready, true);
  assert.deepEqual(c.state, { running: { startedAt: '2024-05-01T09:59:10Z' } });
});

const cases: {
  name: string; pod: Pod; instances: ContainerStatus[]; reasons?: [string, string][]; sandboxReady?: boolean;
  phase: string; waiting?: string; terminated?: string; lastTerminated?: string; restartCount: number; ready: [string, string, string?];
}[] = [
  { name: 'crash loop: waiting CrashLoopBackOff, lastState the exit, phase Running', pod: pod(),
    instances: [inst('CONTAINER_EXITED', 0, 0, 'Completed'), inst('CONTAINER_EXITED', 1, 0, 'Completed')],
    reasons: [['CrashLoopBackOff', 'back-off 10s restarting failed container=web pod=p_default(u1)']],
    phase: 'Running', waiting: 'CrashLoopBackOff', lastTerminated: 'Completed', restartCount: 1, ready: ['False', 'ContainersNotReady', 'containers with unready status: [web]'] },
  { name: 'first start: ContainerCreating, Pending', pod: pod(), instances: [], phase: 'Pending', waiting: 'ContainerCreating', restartCount: 0,
    ready: ['False', 'ContainersNotReady', 'containers with unready status: [web]'] },
  { name: 'image pull failure: ErrImagePull, Pending', pod: pod(), instances: [], reasons: [['ErrImagePull', 'rpc error: code = NotFound desc = not found']],
    phase: 'Pending', waiting: 'ErrImagePull', restartCount: 0, ready: ['False', 'ContainersNotReady', 'containers with unready status: [web]'] },
  { name: 'Never, exit 1: Failed', pod: pod('Never'), instances: [inst('CONTAINER_EXITED', 0, 1, 'Error')], sandboxReady: false,
    phase: 'Failed', terminated: 'Error', restartCount: 0, ready: ['False', 'PodFailed'] },
  { name: 'Never, exit 0: Succeeded', pod: pod('Never'), instances: [inst('CONTAINER_EXITED', 0, 0, 'Completed')], sandboxReady: false,
    phase: 'Succeeded', terminated: 'Completed', restartCount: 0, ready: ['False', 'PodCompleted'] },
  { name: 'restartCount never goes backwards', pod: pod('Always', { phase: 'Running', containerStatuses: [{ name: 'web', image: 'nginx', imageID: '', ready: true, restartCount: 5, state: { running: {} } }] }),
    instances: [inst('CONTAINER_RUNNING', 2)], phase: 'Running', restartCount: 5, ready: ['True', ''] },
  { name: 'a terminal phase is kept', pod: pod('OnFailure', { phase: 'Succeeded' }), instances: [inst('CONTAINER_EXITED', 0, 0, 'Completed')], sandboxReady: false,
    phase: 'Succeeded', terminated: 'Completed', restartCount: 0, ready: ['False', 'PodCompleted'] },
];

for (const c of cases) {
  test(`buildPodStatus: ${c.name}`, () => {
    const reasonCache = new Map((c.reasons ?? []).map(([reason, message]) => ['web', { reason, message }]));
    const s = buildPodStatus({ pod: c.pod, state: st(c.instances, c.sandboxReady ?? true), reasonCache, nodeIP: '127.0.1.1', now: NOW });
    assert.equal(s.phase, c.phase);
    const cs = s.containerStatuses![0]!;
    assert.equal(cs.state?.waiting?.reason, c.waiting);
    assert.equal(cs.state?.terminated?.reason, c.terminated);
    assert.equal(cs.lastState?.terminated?.reason, c.lastTerminated);
    assert.equal(cs.restartCount, c.restartCount);
    const ready = s.conditions!.find((x) => x.type === 'Ready')!;
    assert.deepEqual([ready.status, ready.reason ?? '', ready.message], c.ready.length === 2 ? [...c.ready, undefined] : c.ready);
    if (c.waiting && c.reasons) assert.equal(cs.state?.waiting?.message, c.reasons[0]![1]);
  });
}
