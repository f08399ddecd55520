import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerState, ContainerStatus } from '../runtime/types.js';
import { computePodActions, containerHash, type PodActions } from './actions.js';
import type { RuntimePodState, SandboxInfo } from './types.js';

const app: Container = { name: 'app', image: 'nginx' };
const side: Container = { name: 'side', image: 'busybox' };
const init1: Container = { name: 'init1', image: 'busybox' };
const init2: Container = { name: 'init2', image: 'busybox' };

function pod(spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u1', ...meta }, spec: { containers: [app], ...spec } as Pod['spec'] };
}

let t = 100n;
function ctr(name: string, state: ContainerState, exitCode = 0, attempt = 0, container: Container = name === 'app' ? app : { name, image: 'busybox' }): ContainerStatus {
  t += 1n;
  return {
    id: `${name}-${attempt}`, metadata: { name, attempt }, state, createdAt: t, startedAt: t, finishedAt: state === 'CONTAINER_EXITED' ? t : 0n,
    exitCode, image: 'x', imageRef: 'x@sha256:1', reason: '', message: '', labels: {}, annotations: { 'io.kubernetes.container.hash': containerHash(container) }, logPath: '',
  };
}
const ready: SandboxInfo = { id: 'sb1', attempt: 0, state: 'SANDBOX_READY', createdAt: 1n, ip: '10.42.1.5', additionalIps: [], labels: {} };
const notReady: SandboxInfo = { ...ready, state: 'SANDBOX_NOTREADY' };
function state(sandboxes: SandboxInfo[], containers: ContainerStatus[]): RuntimePodState {
  return { uid: 'u1', sandboxes, containers: [...containers].sort((a, b) => (a.createdAt > b.createdAt ? -1 : 1)) };
}
const none: PodActions = { killPod: false, createSandbox: false, sandboxId: 'sb1', attempt: 0, initContainersToStart: [], containersToStart: [], containersToKill: [] };

const cases: { name: string; pod: Pod; state: RuntimePodState; want: Partial<PodActions> }[] = [
  { name: 'new pod: create sandbox attempt 0, start every container', pod: pod({ containers: [app, side] }), state: state([], []),
    want: { killPod: true, createSandbox: true, sandboxId: '', attempt: 0, containersToStart: [0, 1] } },
  { name: 'new pod with init containers: only the first init container', pod: pod({ initContainers: [init1, init2] }), state: state([], []),
    want: { killPod: true, createSandbox: true, sandboxId: '', initContainersToStart: [0] } },
  { name: 'running container: nothing to do', pod: pod(), state: state([ready], [ctr('app', 'CONTAINER_RUNNING')]), want: {} },
  { name: 'Always: exited container restarts', pod: pod(), state: state([ready], [ctr('app', 'CONTAINER_EXITED', 0)]), want: { containersToStart: [0] } },
  { name: 'OnFailure: exit 0 is done, the pod is stopped', pod: pod({ restartPolicy: 'OnFailure' }), state: state([ready], [ctr('app', 'CONTAINER_EXITED', 0)]),
    want: { killPod: true } },
  { name: 'OnFailure: exit 1 restarts', pod: pod({ restartPolicy: 'OnFailure' }), state: state([ready], [ctr('app', 'CONTAINER_EXITED', 1)]), want: { containersToStart: [0] } },
  { name: 'Never: exit 1 stays, the pod is stopped', pod: pod({ restartPolicy: 'Never' }), state: state([ready], [ctr('app', 'CONTAINER_EXITED', 1)]), want: { killPod: true } },
  { name: 'Never: a stopped sandbox of a pod that ran is not recreated', pod: pod({ restartPolicy: 'Never' }), state: state([notReady], [ctr('app', 'CONTAINER_EXITED', 1)]),
    want: { killPod: true, createSandbox: false, sandboxId: '', attempt: 1 } },
  { name: 'Always: a dead sandbox is replaced with the next attempt', pod: pod(), state: state([notReady], [ctr('app', 'CONTAINER_EXITED', 137)]),
    want: { killPod: true, createSandbox: true, sandboxId: '', attempt: 1, containersToStart: [0] } },
  { name: 'OnFailure: a dead sandbox of a succeeded pod is not recreated', pod: pod({ restartPolicy: 'OnFailure' }), state: state([notReady], [ctr('app', 'CONTAINER_EXITED', 0)]),
    want: { killPod: true, createSandbox: false, sandboxId: '', attempt: 1 } },
  { name: 'a ready sandbox without an IP is replaced', pod: pod(), state: state([{ ...ready, ip: '' }], []),
    want: { killPod: true, createSandbox: true, sandboxId: '', attempt: 1, containersToStart: [0] } },
  { name: 'host network: no IP is fine', pod: pod({ hostNetwork: true }), state: state([{ ...ready, ip: '' }], [ctr('app', 'CONTAINER_RUNNING')]), want: {} },
  { name: 'init container running: wait', pod: pod({ initContainers: [init1, init2] }), state: state([ready], [ctr('init1', 'CONTAINER_RUNNING')]), want: {} },
  { name: 'init container succeeded: the next one', pod: pod({ initContainers: [init1, init2] }), state: state([ready], [ctr('init1', 'CONTAINER_EXITED', 0)]),
    want: { initContainersToStart: [1] } },
  { name: 'all init containers succeeded: regular containers', pod: pod({ initContainers: [init1, init2] }),
    state: state([ready], [ctr('init1', 'CONTAINER_EXITED', 0), ctr('init2', 'CONTAINER_EXITED', 0)]), want: { containersToStart: [0] } },
  { name: 'failed init container restarts under Always', pod: pod({ initContainers: [init1] }), state: state([ready], [ctr('init1', 'CONTAINER_EXITED', 2)]),
    want: { initContainersToStart: [0] } },
  { name: 'failed init container under Never fails the pod', pod: pod({ initContainers: [init1], restartPolicy: 'Never' }), state: state([ready], [ctr('init1', 'CONTAINER_EXITED', 2)]),
    want: { killPod: true } },
  { name: 'init containers never rerun once a regular container exists', pod: pod({ initContainers: [init1] }),
    state: state([ready], [ctr('app', 'CONTAINER_RUNNING')]), want: {} },
  { name: 'sidecar starts and the next init container waits for it', pod: pod({ initContainers: [{ ...side, restartPolicy: 'Always' }, init1] }), state: state([ready], []),
    want: { initContainersToStart: [0] } },
  { name: 'an exited sidecar restarts beside running containers', pod: pod({ initContainers: [{ ...side, restartPolicy: 'Always' }] }),
    state: state([ready], [ctr('side', 'CONTAINER_EXITED', 0), ctr('app', 'CONTAINER_RUNNING')]), want: { initContainersToStart: [0] } },
  { name: 'changed spec: kill with upstream message and restart', pod: pod({ containers: [{ ...app, image: 'nginx:2' }] }), state: state([ready], [ctr('app', 'CONTAINER_RUNNING')]),
    want: { containersToStart: [0], containersToKill: [{ id: 'app-0', name: 'app', isInit: false, message: 'Container app definition changed, will be restarted' }] } },
  { name: 'deletionTimestamp: nothing restarts', pod: pod({}, { deletionTimestamp: '2024-01-01T00:00:00Z' }), state: state([ready], [ctr('app', 'CONTAINER_EXITED', 1)]),
    want: { killPod: true } },
];

for (const c of cases) {
  test(`computePodActions: ${c.name}`, () => {
    assert.deepEqual(computePodActions(c.pod, c.state), { ...none, ...c.want });
  });
}

test('containerHash ignores key order and resources, and changes with the image', () => {
  const a = containerHash({ name: 'a', image: 'x', command: ['sh'] });
  assert.equal(containerHash({ command: ['sh'], image: 'x', name: 'a' }), a);
  assert.equal(containerHash({ name: 'a', image: 'x', command: ['sh'], resources: { limits: { cpu: '1' } } }), a);
  assert.notEqual(containerHash({ name: 'a', image: 'y', command: ['sh'] }), a);
});
