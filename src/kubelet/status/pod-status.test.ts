// Pod phase, conditions, container statuses and CrashLoopBackOff as upstream computes them
// (reference kubelet-images.md §3.1-3.8).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, ContainerStatus, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus as RuntimeContainerStatus } from '../runtime/types.js';
import {
  containersReadyCondition, crashLoopBackOff, getPhase, initializedCondition, newCrashLoopBackOff, podConditions, podReadyCondition,
  shouldContainerBeRestarted, toApiContainerStatuses,
} from './index.js';

const spec = (restartPolicy: PodSpec['restartPolicy'], names = ['app'], inits: Container[] = []): PodSpec => ({
  restartPolicy, containers: names.map((name) => ({ name, image: 'nginx' })), ...(inits.length ? { initContainers: inits } : {}),
});
const running = (name: string, ready = true): ContainerStatus => ({ name, image: 'nginx', imageID: '', ready, restartCount: 0, state: { running: {} } });
const exited = (name: string, exitCode: number): ContainerStatus => ({ name, image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } });
const waitingS = (name: string, reason: string, lastExit?: number): ContainerStatus => ({
  name, image: 'nginx', imageID: '', ready: false, restartCount: lastExit === undefined ? 0 : 1, state: { waiting: { reason } },
  ...(lastExit === undefined ? {} : { lastState: { terminated: { exitCode: lastExit } } }),
});

test('getPhase (kubelet_pods.go getPhase)', () => {
  const init = [{ name: 'init', image: 'busybox' }];
  const cases: { name: string; spec: PodSpec; inits?: ContainerStatus[]; statuses: ContainerStatus[]; terminal?: boolean; want: string }[] = [
    { name: 'nothing reported yet', spec: spec('Always'), statuses: [], want: 'Pending' },
    { name: 'ContainerCreating', spec: spec('Always'), statuses: [waitingS('app', 'ContainerCreating')], want: 'Pending' },
    { name: 'ImagePullBackOff on a never-started container', spec: spec('Always'), statuses: [waitingS('app', 'ImagePullBackOff')], want: 'Pending' },
    { name: 'running', spec: spec('Always'), statuses: [running('app')], want: 'Running' },
    { name: 'CrashLoopBackOff counts as stopped: Running', spec: spec('Always'), statuses: [waitingS('app', 'CrashLoopBackOff', 0)], want: 'Running' },
    { name: 'one running, one never started', spec: spec('Always', ['a', 'b']), statuses: [running('a'), waitingS('b', 'ErrImagePull')], want: 'Pending' },
    { name: 'one running, one unknown', spec: spec('Always', ['a', 'b']), statuses: [running('a')], want: 'Pending' },
    { name: 'Always, all exited 0: restarting', spec: spec('Always'), statuses: [exited('app', 0)], want: 'Running' },
    { name: 'OnFailure, all exited 0', spec: spec('OnFailure'), statuses: [exited('app', 0)], want: 'Succeeded' },
    { name: 'Never, all exited 0', spec: spec('Never'), statuses: [exited('app', 0)], want: 'Succeeded' },
    { name: 'Never, one failure', spec: spec('Never', ['a', 'b']), statuses: [exited('a', 0), exited('b', 1)], want: 'Failed' },
    { name: 'OnFailure, one failure: restarting', spec: spec('OnFailure'), statuses: [exited('app', 2)], want: 'Running' },
    { name: 'terminal pod, all succeeded, even with Always', spec: spec('Always'), statuses: [exited('app', 0)], terminal: true, want: 'Succeeded' },
    { name: 'terminal pod with a failure', spec: spec('Always'), statuses: [exited('app', 137)], terminal: true, want: 'Failed' },
    { name: 'init container running', spec: spec('Always', ['app'], init), inits: [running('init')], statuses: [waitingS('app', 'PodInitializing')], want: 'Pending' },
    { name: 'init container failed, Never', spec: spec('Never', ['app'], init), inits: [exited('init', 1)], statuses: [waitingS('app', 'PodInitializing')], want: 'Failed' },
    { name: 'init container crash-looping, Always', spec: spec('Always', ['app'], init), inits: [waitingS('init', 'CrashLoopBackOff', 1)], statuses: [waitingS('app', 'PodInitializing')], want: 'Pending' },
    { name: 'init done, app running', spec: spec('Always', ['app'], init), inits: [exited('init', 0)], statuses: [running('app')], want: 'Running' },
    {
      name: 'sidecar not started yet', spec: spec('Always', ['app'], [{ name: 'side', image: 'x', restartPolicy: 'Always' }]),
      inits: [{ ...running('side'), started: false }], statuses: [waitingS('app', 'PodInitializing')], want: 'Pending',
    },
  ];
  for (const c of cases) assert.equal(getPhase(c.spec, c.inits ?? [], c.statuses, c.terminal), c.want, c.name);
});

test('ContainersReady and Ready conditions (generate.go)', () => {
  const cases = [
    { name: 'no statuses from the runtime', statuses: undefined, phase: 'Pending' as const, want: { type: 'ContainersReady', status: 'False', reason: 'UnknownContainerStatuses' } },
    { name: 'all ready', statuses: [running('a'), running('b')], phase: 'Running' as const, want: { type: 'ContainersReady', status: 'True' } },
    {
      name: 'unready container, Go list formatting', statuses: [running('a'), waitingS('b', 'CrashLoopBackOff', 1)], phase: 'Running' as const,
      want: { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' },
    },
    {
      name: 'unknown before unready', statuses: [waitingS('a', 'ErrImagePull')], phase: 'Pending' as const,
      want: { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unknown status: [b], containers with unready status: [a]' },
    },
    { name: 'succeeded', statuses: [exited('a', 0), exited('b', 0)], phase: 'Succeeded' as const, want: { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' } },
    { name: 'failed', statuses: [exited('a', 1), exited('b', 0)], phase: 'Failed' as const, want: { type: 'ContainersReady', status: 'False', reason: 'PodFailed' } },
  ];
  for (const c of cases) {
    assert.deepEqual(containersReadyCondition(spec('Always', ['a', 'b']), c.statuses, c.phase), c.want, c.name);
    const ready = podReadyCondition(spec('Always', ['a', 'b']), [], c.statuses, c.phase);
    assert.equal(ready.type, 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], [c.want.status, (c.want as { reason?: string }).reason, (c.want as { message?: string }).message], `${c.name}: Ready copies ContainersReady`);
  }
  const gated: PodSpec = { ...spec('Always', ['a']), readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] };
  assert.deepEqual(podReadyCondition(gated, [{ type: 'example.com/dns', status: 'False' }], [running('a')], 'Running'), {
    type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady',
    message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist., the status of pod readiness gate "example.com/dns" is not "True", but False',
  });
});

test('Initialized condition and the kubelet condition order', () => {
  const s = spec('Always', ['app'], [{ name: 'init1', image: 'x' }, { name: 'init2', image: 'x' }]);
  assert.deepEqual(initializedCondition(s, [running('init1', false)], [waitingS('app', 'PodInitializing')], 'Pending'), {
    type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized',
    message: 'containers with unknown status: [init2], containers with incomplete status: [init1]',
  });
  const done = [{ ...exited('init1', 0), ready: true }, { ...exited('init2', 0), ready: true }];
  assert.deepEqual(initializedCondition(s, done, [running('app')], 'Running'), { type: 'Initialized', status: 'True' });
  assert.deepEqual(initializedCondition(s, [], [running('app')], 'Running'), { type: 'Initialized', status: 'True' }, 'a started regular container means initialized');
  const conds = podConditions({ spec: spec('Always'), status: { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } }, true, [], [running('app')], 'Running');
  assert.deepEqual(conds.map((c) => [c.type, c.status]), [['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True']]);
  assert.equal(conds[4].lastTransitionTime, '2024-01-01T00:00:00Z', 'the scheduler condition is kept');
});

test('shouldContainerBeRestarted (container/helpers.go)', () => {
  const app = { name: 'app', image: 'x' };
  const cases = [
    { name: 'never started', policy: 'Never', latest: undefined, want: true },
    { name: 'running', policy: 'Always', latest: { state: 'CONTAINER_RUNNING', exitCode: 0 }, want: false },
    { name: 'created but not started', policy: 'Never', latest: { state: 'CONTAINER_CREATED', exitCode: 0 }, want: true },
    { name: 'Always, exited 0', policy: 'Always', latest: { state: 'CONTAINER_EXITED', exitCode: 0 }, want: true },
    { name: 'OnFailure, exited 0', policy: 'OnFailure', latest: { state: 'CONTAINER_EXITED', exitCode: 0 }, want: false },
    { name: 'OnFailure, exited 1', policy: 'OnFailure', latest: { state: 'CONTAINER_EXITED', exitCode: 1 }, want: true },
    { name: 'Never, exited 1', policy: 'Never', latest: { state: 'CONTAINER_EXITED', exitCode: 1 }, want: false },
    { name: 'deleted pod', policy: 'Always', latest: { state: 'CONTAINER_EXITED', exitCode: 1 }, deleted: true, want: false },
  ] as const;
  for (const c of cases) {
    const pod = { metadata: c.name === 'deleted pod' ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}, spec: spec(c.policy) };
    assert.equal(shouldContainerBeRestarted(app, pod, c.latest), c.want, c.name);
  }
});

test('CrashLoopBackOff: first crash restarts at once, then 10s, 20s, 40s... 5m0s; a spec change resets it', () => {
  let now = 1_000_000;
  const backoff = newCrashLoopBackOff(() => now);
  const pod = { metadata: { name: 'nginx-test1', namespace: 'default', uid: 'u-1' } };
  const container = { name: 'nginx-test1', image: 'nginx', command: ['echo', 'SUCCESS'] };
  const waits: string[] = [];
  let finishedAt = now;
  for (let crash = 0; crash < 8; crash++) {
    // The container ran one second and exited; the worker asks every second until restart.
    for (;;) {
      const d = crashLoopBackOff(backoff, pod, container, { finishedAtMs: finishedAt });
      if (!d.backOff) break;
      if (waits.length === 0 || !waits[waits.length - 1].startsWith(`${crash}:`)) {
        waits.push(`${crash}:${d.message}`);
        assert.deepEqual(d.event, { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container nginx-test1 in pod nginx-test1_default(u-1)' });
      }
      now += 1000;
    }
    now += 1000;
    finishedAt = now;
  }
  assert.deepEqual(waits, [
    '1:back-off 10s restarting failed container=nginx-test1 pod=nginx-test1_default(u-1)',
    '2:back-off 20s restarting failed container=nginx-test1 pod=nginx-test1_default(u-1)',
    '3:back-off 40s restarting failed container=nginx-test1 pod=nginx-test1_default(u-1)',
    '4:back-off 1m20s restarting failed container=nginx-test1 pod=nginx-test1_default(u-1)',
    '5:back-off 2m40s restarting failed container=nginx-test1 pod=nginx-test1_default(u-1)',
    '6:back-off 5m0s restarting failed container=nginx-test1 pod=nginx-test1_default(u-1)',
    '7:back-off 5m0s restarting failed container=nginx-test1 pod=nginx-test1_default(u-1)',
  ]);
  assert.equal(crashLoopBackOff(backoff, pod, { ...container, image: 'nginx:1.14' }, { finishedAtMs: finishedAt }).backOff, false, 'a new spec has its own key');
  assert.equal(crashLoopBackOff(backoff, pod, container, undefined).backOff, false, 'no exited instance: start');
  // Ran for more than 10 minutes before crashing: the sequence starts over (restart at once).
  now += 700_000;
  assert.equal(crashLoopBackOff(backoff, pod, container, { finishedAtMs: now }).backOff, false);
});

const inst = (name: string, attempt: number, state: RuntimeContainerStatus['state'], extra: Partial<RuntimeContainerStatus> = {}): RuntimeContainerStatus => ({
  id: `${name}-${attempt}`, metadata: { name, attempt }, state, createdAt: BigInt(1_700_000_000 + attempt) * 1_000_000_000n,
  startedAt: BigInt(1_700_000_001 + attempt) * 1_000_000_000n, finishedAt: state === 'CONTAINER_EXITED' ? BigInt(1_700_000_002 + attempt) * 1_000_000_000n : 0n,
  exitCode: 0, image: 'docker.io/library/nginx:latest', imageRef: 'docker.io/library/nginx@sha256:abc', reason: state === 'CONTAINER_EXITED' ? 'Completed' : '',
  message: '', labels: {}, annotations: {}, logPath: '', ...extra,
});

test('container statuses: state, lastState, restartCount, waiting reasons, name order', () => {
  const pod = (policy: PodSpec['restartPolicy'], names = ['app'], inits: Container[] = []) => ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: spec(policy, names, inits) });
  const none = toApiContainerStatuses({ pod: pod('Always'), containers: pod('Always').spec.containers, isInit: false, instances: [] });
  assert.deepEqual(none, [{ name: 'app', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, started: false }]);

  const withInit = pod('Always', ['app'], [{ name: 'init', image: 'busybox' }]);
  assert.deepEqual(toApiContainerStatuses({ pod: withInit, containers: withInit.spec.containers, isInit: false, instances: [] })[0].state, { waiting: { reason: 'PodInitializing' } });

  const restarted = toApiContainerStatuses({
    pod: pod('Always'), containers: pod('Always').spec.containers, isInit: false,
    instances: [inst('app', 0, 'CONTAINER_EXITED'), inst('app', 1, 'CONTAINER_RUNNING')],
  })[0];
  assert.equal(restarted.restartCount, 1, 'restartCount is the newest attempt');
  assert.deepEqual(restarted.state, { running: { startedAt: '2023-11-14T22:13:22Z' } });
  assert.equal(restarted.lastState?.terminated?.reason, 'Completed');
  assert.equal(restarted.lastState?.terminated?.containerID, 'containerd://app-0');
  assert.equal(restarted.containerID, 'containerd://app-1');
  assert.equal(restarted.imageID, 'docker.io/library/nginx@sha256:abc');
  assert.equal(restarted.ready, true);

  const crashLoop = toApiContainerStatuses({
    pod: pod('Always'), containers: pod('Always').spec.containers, isInit: false,
    instances: [inst('app', 2, 'CONTAINER_EXITED'), inst('app', 1, 'CONTAINER_EXITED')],
    reasonCache: new Map([['app', { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app pod=p_default(u)' }]]),
  })[0];
  assert.deepEqual(crashLoop.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=app pod=p_default(u)' } });
  assert.equal(crashLoop.lastState?.terminated?.containerID, 'containerd://app-2', 'lastState is the newest exited instance');
  assert.equal(crashLoop.restartCount, 2);
  assert.equal(crashLoop.ready, false);

  const never = toApiContainerStatuses({
    pod: pod('Never'), containers: pod('Never').spec.containers, isInit: false,
    instances: [inst('app', 0, 'CONTAINER_EXITED', { exitCode: 1, reason: 'Error' })],
    reasonCache: new Map([['app', { reason: 'CrashLoopBackOff', message: 'x' }]]),
  })[0];
  assert.deepEqual(never.state?.terminated && [never.state.terminated.exitCode, never.state.terminated.reason], [1, 'Error'], 'Never: stays terminated');

  const sorted = toApiContainerStatuses({ pod: pod('Always', ['web', 'app']), containers: pod('Always', ['web', 'app']).spec.containers, isInit: false, instances: [] });
  assert.deepEqual(sorted.map((s) => s.name), ['app', 'web'], 'regular statuses sorted by name');

  const inits = [{ name: 'z-init', image: 'busybox' }, { name: 'a-init', image: 'busybox' }];
  const initPod = pod('Always', ['app'], inits);
  const initStatuses = toApiContainerStatuses({
    pod: initPod, containers: inits, isInit: true, instances: [inst('z-init', 0, 'CONTAINER_EXITED')],
    reasonCache: new Map([['z-init', { reason: 'CrashLoopBackOff', message: 'x' }]]),
  });
  assert.deepEqual(initStatuses.map((s) => [s.name, s.ready, Object.keys(s.state ?? {})[0]]), [['z-init', true, 'terminated'], ['a-init', false, 'waiting']],
    'init statuses in spec order; a succeeded init container is ready and never re-run');
});
