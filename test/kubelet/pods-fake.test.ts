// The kubelet's pod workers against a real `berth server` (a child process) and FakeRuntime: a pod bound to the node
// runs (Running, Ready, Pulling/Pulled/Created/Started on its container), a crash-looping
// container shows CrashLoopBackOff with a BackOff event whose count grows and restarts after the
// back-off (an injected clock moves time; nothing sleeps for it), restartPolicy Never ends in
// Succeeded/Failed, graceful deletion stops the container with the grace period and removes the
// pod, a restarted kubelet adopts running containers without restarting them, and containers of a
// pod deleted while the kubelet was down are removed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createEventRecorder } from '../../src/client/events.js';
import { createClient, isStatusCode, loadKubeconfig, RESOURCES, type ApiObject, type Client } from '../../src/client/index.js';
import { silentLogger } from '../../src/common/log.js';
import { BasicKeyring } from '../../src/kubelet/credentials/index.js';
import { ImageManager } from '../../src/kubelet/images/index.js';
import { startKubelet, type Kubelet } from '../../src/kubelet/kubelet.js';
import { Labels, type PodConfigBuilder, type VolumeManager } from '../../src/kubelet/pods/index.js';
import { FakeRuntime, RuntimeError } from '../../src/kubelet/runtime/index.js';
import { startBerthServer, type BerthServer } from '../helpers/berth-server.js';
import { poll } from '../helpers/poll.js';

const NODE = 'node01';
const NODE_IP = '127.0.1.1';

/** A clock the test moves forward (back-off windows), on top of the wall clock. */
let skew = 0;
const now = (): number => Date.now() + skew;

const waitUntil = <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> => poll(what, fn, ms);

/** The smallest PodConfigBuilder the fake runtime needs (P2's builder does the real work). */
const podConfig = (rootDir: string): PodConfigBuilder => ({
  sandboxConfig: (pod, attempt) => ({
    metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: pod.metadata!.uid!, attempt },
    hostname: pod.metadata!.name!,
    logDirectory: join(rootDir, 'logs', 'pods', `${pod.metadata!.namespace}_${pod.metadata!.name}_${pod.metadata!.uid}`),
  }),
  containerConfig: async (_pod, c, a) => {
    const ref = c.env?.find((e) => e.valueFrom?.secretKeyRef)?.valueFrom?.secretKeyRef;
    if (ref) return { ok: false, reason: 'CreateContainerConfigError', message: `secret "${ref.name}" not found` };
    return { ok: true, config: { metadata: { name: c.name, attempt: a.attempt }, image: a.imageRef, command: c.command, args: c.args, logPath: `${c.name}/${a.attempt}.log` } };
  },
});

const volumes = (tornDown: string[]): VolumeManager => ({
  setUp: async () => new Map(),
  tearDown: async (uid) => { tornDown.push(uid); },
});

describe('kubelet pod workers with FakeRuntime', { timeout: 180_000 }, () => {
  let server: BerthServer;
  let client: Client;
  let rt: FakeRuntime;
  let kubelet: Kubelet | undefined;
  let logRoot: string;
  const tornDown: string[] = [];

  const start = async (): Promise<Kubelet> => {
    const images = new ImageManager({ runtime: rt, nodeKeyring: new BasicKeyring(), now, puller: { qps: 0 } });
    const recorder = createEventRecorder(client, { component: 'kubelet', host: NODE }, { now: () => new Date(now()) });
    return startKubelet({
      nodeName: NODE, client, runtime: rt, images, recorder, rootDir: logRoot, podConfig: podConfig(logRoot), volumes: volumes(tornDown),
      log: silentLogger, now, resyncMs: 150, relistMs: 40, nodeIP: NODE_IP,
    });
  };

  before(async () => {
    server = await startBerthServer();
    client = createClient(loadKubeconfig(server.kubeconfig));
    logRoot = await mkdtemp(join(tmpdir(), 'berth-pods-fake-'));
    rt = new FakeRuntime({ now });
    await client.create(RESOURCES.serviceaccounts, 'default', { metadata: { name: 'default' } }).catch((e: unknown) => { if (!isStatusCode(e, 409)) throw e; });
    kubelet = await start();
  });

  after(async () => {
    await kubelet?.stop();
    client?.close();
    await server?.stop();
    await rm(logRoot, { recursive: true, force: true });
  });

  const createPod = (name: string, spec: Partial<Pod['spec']>): Promise<Pod> =>
    client.create(RESOURCES.pods, 'default', { metadata: { name }, spec: { nodeName: NODE, containers: [{ name, image: 'busybox:1' }], ...spec } } as ApiObject) as Promise<Pod>;
  const getPod = (name: string): Promise<Pod> => client.get(RESOURCES.pods, 'default', name) as Promise<Pod>;
  const containerEvents = async (pod: Pod, container: string): Promise<ApiObject[]> =>
    (await client.list(RESOURCES.events, 'default')).items.filter((e) => e.involvedObject?.uid === pod.metadata!.uid && e.involvedObject?.fieldPath === `spec.containers{${container}}`);
  const running = (uid: string) => rt.listContainers({ labelSelector: { [Labels.podUid]: uid }, state: 'CONTAINER_RUNNING' });

  it('runs a pod bound to the node: Running, Ready, IPs, IDs and the container events', async () => {
    const pod = await createPod('web', { containers: [{ name: 'web', image: 'nginx' }] });
    const p = await waitUntil('web to be Running and Ready', async () => {
      const x = await getPod('web');
      return x.status?.phase === 'Running' && x.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? x : undefined;
    });
    const s = p.status!;
    assert.deepEqual(s.conditions!.map((c) => [c.type, c.status]), [
      ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
    ]);
    assert.match(s.podIP ?? '', /^10\.88\.0\.\d+$/);
    assert.equal(s.hostIP, NODE_IP);
    assert.ok(s.startTime);
    const cs = s.containerStatuses![0]!;
    assert.match(cs.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    assert.match(cs.imageID, /^nginx@sha256:[0-9a-f]{64}$/);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state?.running?.startedAt);
    const events = await waitUntil('the four container events', async () => {
      const ev = await containerEvents(pod, 'web');
      return ev.length >= 4 ? ev : undefined;
    });
    const byReason = new Map(events.map((e) => [e.reason as string, e]));
    assert.equal(byReason.get('Pulling')?.message, 'Pulling image "nginx"');
    assert.match(String(byReason.get('Pulled')?.message), /^Successfully pulled image "nginx" in \S+ \(\S+ including waiting\)\. Image size: 1024 bytes\.$/);
    assert.equal(byReason.get('Created')?.message, 'Created container web');
    assert.equal(byReason.get('Started')?.message, 'Started container web');
    assert.deepEqual(events.map((e) => [e.type, e.source?.component, e.source?.host]).filter((x) => x[0] !== 'Normal'), []);
    assert.equal(byReason.get('Started')?.source?.component, 'kubelet');
  });

  it('a crash-looping container restarts at once, then shows CrashLoopBackOff with a growing BackOff count, then restarts after the back-off', async () => {
    const pod = await createPod('crash', {});
    const uid = pod.metadata!.uid!;
    const first = await waitUntil('crash to run', async () => (await running(uid))[0]);
    rt.exitContainer(first.id, 0);
    // The first exit restarts immediately (back-off starts with the second), restartCount 1.
    const second = await waitUntil('the immediate restart', async () => (await running(uid)).find((c) => c.metadata.attempt === 1));
    await waitUntil('restartCount 1 reported', async () => (await getPod('crash')).status?.containerStatuses?.[0]?.restartCount === 1);
    rt.exitContainer(second.id, 0);
    const waiting = await waitUntil('CrashLoopBackOff', async () => {
      const cs = (await getPod('crash')).status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' ? cs : undefined;
    });
    assert.equal(waiting.state!.waiting!.message, `back-off 10s restarting failed container=crash pod=crash_default(${uid})`);
    assert.equal(waiting.lastState?.terminated?.reason, 'Completed');
    assert.equal(waiting.lastState?.terminated?.exitCode, 0);
    assert.equal(waiting.restartCount, 1);
    assert.equal((await getPod('crash')).status?.phase, 'Running');
    const backOff = await waitUntil('the BackOff event to repeat', async () => {
      const e = (await containerEvents(pod, 'crash')).find((x) => x.reason === 'BackOff');
      return e && e.count >= 2 ? e : undefined;
    });
    assert.equal(backOff.type, 'Warning');
    assert.equal(backOff.message, `Back-off restarting failed container crash in pod crash_default(${uid})`);
    assert.equal((await running(uid)).length, 0, 'no restart inside the back-off window');
    skew += 11_000;
    await waitUntil('the restart after the back-off', async () => (await running(uid)).find((c) => c.metadata.attempt === 2));
    const cs = await waitUntil('restartCount 2, running', async () => {
      const x = (await getPod('crash')).status?.containerStatuses?.[0];
      return x?.restartCount === 2 && x.state?.running ? x : undefined;
    });
    assert.equal(cs.lastState?.terminated?.reason, 'Completed');
    // Events are written asynchronously: wait for the third Created to fold into the first Event.
    const created = await waitUntil('one Created event counted three times', async () => {
      const all = (await containerEvents(pod, 'crash')).filter((x) => x.reason === 'Created');
      return all.length === 1 && all[0]!.count === 3 ? all[0] : undefined;
    });
    assert.equal(created.message, 'Created container crash');
  });

  it('a failed pull: ErrImagePull then ImagePullBackOff with the last error, both Failed events, and the missing pull secret warning on the pod', async () => {
    const notFound = 'failed to pull and unpack image "docker.io/library/nginx:nope": failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found';
    rt.pullHook = (image) => (image === 'nginx:nope' ? new RuntimeError('NotFound', notFound) : undefined);
    const pod = await createPod('nope', { containers: [{ name: 'nope', image: 'nginx:nope' }], imagePullSecrets: [{ name: 'absent-secret' }] });
    const waiting = await waitUntil('ImagePullBackOff', async () => {
      const cs = (await getPod('nope')).status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'ImagePullBackOff' ? cs : undefined;
    });
    assert.equal(waiting.state!.waiting!.message, `Back-off pulling image "nginx:nope": ErrImagePull: rpc error: code = NotFound desc = ${notFound}`);
    assert.equal((await getPod('nope')).status?.phase, 'Pending');
    const events = await waitUntil('the pull events', async () => {
      const ev = await containerEvents(pod, 'nope');
      return ev.some((e) => e.message === 'Error: ImagePullBackOff') ? ev : undefined;
    });
    const msgs = events.map((e) => [e.type, e.reason, e.message]);
    for (const want of [
      ['Normal', 'Pulling', 'Pulling image "nginx:nope"'],
      ['Warning', 'Failed', `Failed to pull image "nginx:nope": rpc error: code = NotFound desc = ${notFound}`],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Normal', 'BackOff', 'Back-off pulling image "nginx:nope"'],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ]) assert.ok(msgs.some((m) => JSON.stringify(m) === JSON.stringify(want)), `event ${want.join(' ')} in ${JSON.stringify(msgs)}`);
    const podEvents = (await client.list(RESOURCES.events, 'default')).items.filter((e) => e.involvedObject?.uid === pod.metadata!.uid && !e.involvedObject?.fieldPath);
    const secretWarning = podEvents.find((e) => e.reason === 'FailedToRetrieveImagePullSecret');
    assert.equal(secretWarning?.type, 'Warning');
    assert.equal(secretWarning?.message, 'Unable to retrieve some image pull secrets (absent-secret); attempting to pull the image may not succeed.');
    rt.pullHook = undefined;
    await client.delete(RESOURCES.pods, 'default', 'nope', { gracePeriodSeconds: 0 });
  });

  it('a config error: CreateContainerConfigError with the builder\'s message and the Failed event', async () => {
    const pod = await createPod('cfg', { containers: [{ name: 'cfg', image: 'busybox:1', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }] });
    const cs = await waitUntil('CreateContainerConfigError', async () => {
      const x = (await getPod('cfg')).status?.containerStatuses?.[0];
      return x?.state?.waiting?.reason === 'CreateContainerConfigError' ? x : undefined;
    });
    assert.equal(cs.state!.waiting!.message, 'secret "nope" not found');
    const failed = await waitUntil('the Failed event', async () => (await containerEvents(pod, 'cfg')).find((e) => e.reason === 'Failed'));
    assert.equal(failed.message, 'Error: secret "nope" not found');
    assert.equal(failed.type, 'Warning');
    await client.delete(RESOURCES.pods, 'default', 'cfg', { gracePeriodSeconds: 0 });
  });

  const neverCases = [
    { name: 'exit 0 under Never: Succeeded, Completed', pod: 'once-ok', exitCode: 0, phase: 'Succeeded', reason: 'Completed', ready: 'PodCompleted' },
    { name: 'exit 1 under Never: Failed, Error', pod: 'once-fail', exitCode: 1, phase: 'Failed', reason: 'Error', ready: 'PodFailed' },
  ];
  for (const c of neverCases) {
    it(c.name, async () => {
      const pod = await createPod(c.pod, { restartPolicy: 'Never' });
      const uid = pod.metadata!.uid!;
      const ctr = await waitUntil(`${c.pod} to run`, async () => (await running(uid))[0]);
      rt.exitContainer(ctr.id, c.exitCode);
      const p = await waitUntil(`${c.pod} to end ${c.phase}`, async () => {
        const x = await getPod(c.pod);
        return x.status?.phase === c.phase ? x : undefined;
      });
      const cs = p.status!.containerStatuses![0]!;
      assert.equal(cs.state?.terminated?.reason, c.reason);
      assert.equal(cs.state?.terminated?.exitCode, c.exitCode);
      assert.equal(cs.restartCount, 0);
      assert.equal(p.status!.conditions!.find((x) => x.type === 'Ready')?.reason, c.ready);
      await waitUntil('the sandbox to be stopped', async () => (await rt.listPodSandbox({ labelSelector: { [Labels.podUid]: uid } })).every((s) => s.state === 'SANDBOX_NOTREADY'));
      assert.equal(rt.callsOf('createContainer').filter((x) => (x.args[1] as { labels?: Record<string, string> }).labels?.[Labels.podUid] === uid).length, 1, 'never restarted');
    });
  }

  it('graceful deletion: Killing, StopContainer with the grace period, sandbox removed, volumes torn down, pod gone', async () => {
    const pod = await getPod('web');
    const uid = pod.metadata!.uid!;
    const ctr = (await running(uid))[0]!;
    const logDir = join(logRoot, 'logs', 'pods', `default_web_${uid}`);
    await mkdir(join(logDir, 'web'), { recursive: true });
    await writeFile(join(logDir, 'web', '0.log'), 'x\n');
    await client.delete(RESOURCES.pods, 'default', 'web', { gracePeriodSeconds: 7 });
    await waitUntil('web to be deleted', async () => {
      try {
        await getPod('web');
        return false;
      } catch (e) {
        return isStatusCode(e, 404);
      }
    });
    const stop = rt.callsOf('stopContainer').find((x) => x.args[0] === ctr.id);
    assert.deepEqual(stop?.args, [ctr.id, 7]);
    assert.deepEqual(await rt.listContainers({ labelSelector: { [Labels.podUid]: uid } }), []);
    assert.deepEqual(await rt.listPodSandbox({ labelSelector: { [Labels.podUid]: uid } }), []);
    assert.ok(tornDown.includes(uid), 'volumes torn down');
    assert.equal(existsSync(logDir), false, 'the pod log directory is removed');
    const killing = await waitUntil('the Killing event', async () => (await containerEvents(pod, 'web')).find((x) => x.reason === 'Killing'));
    assert.equal(killing.message, 'Stopping container web');
  });

  it('a restarted kubelet adopts running containers (no restart, same restartCount) and removes those of pods deleted meanwhile', async () => {
    const crash = await getPod('crash');
    const uid = crash.metadata!.uid!;
    const before = (await running(uid))[0]!;
    const doomed = await createPod('doomed', {});
    const doomedUid = doomed.metadata!.uid!;
    await waitUntil('doomed to run', async () => (await running(doomedUid))[0]);
    await kubelet!.stop();
    kubelet = undefined;
    await client.delete(RESOURCES.pods, 'default', 'doomed', { gracePeriodSeconds: 0 });
    const createsBefore = rt.callsOf('createContainer').length;
    kubelet = await start();
    await waitUntil('the orphaned pod\'s containers to be removed', async () =>
      (await rt.listContainers({ labelSelector: { [Labels.podUid]: doomedUid } })).length === 0
      && (await rt.listPodSandbox({ labelSelector: { [Labels.podUid]: doomedUid } })).length === 0);
    // Several syncs of the adopted pod have run once its containers were listed by UID a few times.
    const listedBefore = rt.callsOf('listContainers').filter((x) => (x.args[0] as { labelSelector?: Record<string, string> }).labelSelector?.[Labels.podUid] === uid).length;
    await waitUntil('three syncs of the adopted pod', async () =>
      rt.callsOf('listContainers').filter((x) => (x.args[0] as { labelSelector?: Record<string, string> }).labelSelector?.[Labels.podUid] === uid).length >= listedBefore + 3);
    assert.equal(rt.callsOf('createContainer').length, createsBefore, 'nothing was created or restarted');
    assert.deepEqual((await running(uid)).map((c) => c.id), [before.id]);
    const cs = (await getPod('crash')).status!.containerStatuses![0]!;
    assert.equal(cs.restartCount, 2);
    assert.ok(cs.state?.running);
    assert.equal((await getPod('crash')).status?.phase, 'Running');
  });
});
