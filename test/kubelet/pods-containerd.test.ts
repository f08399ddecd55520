// The kubelet's pod workers on a real containerd (runc, CNI bridge `bertht1`, 10.42.241.0/24) with
// berth's real API server (in-process), pod-config builder and volume manager: a busybox pod
// running `echo SUCCESS` under restartPolicy Always crash-loops (RESTARTS grows, CrashLoopBackOff,
// the CRI log file holds SUCCESS, older attempts' logs are collected but the previous one is
// kept), and an nginx pod answers HTTP on its pod IP from the host, is adopted by a restarted
// kubelet without a restart, and is then deleted gracefully. containerd, the bridge and every
// mount are removed at the end.
//
// Root only. Network: loopback and the pod addresses inside the bridge this test creates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { defaultServerModules } from '../../src/apiserver/modules.js';
import { createEventRecorder } from '../../src/client/events.js';
import { createClient, isStatusCode, loadKubeconfig, RESOURCES, type ApiObject, type Client } from '../../src/client/index.js';
import { silentLogger } from '../../src/common/log.js';
import { ContainerdProcess, preflight, writeContainerdConfig } from '../../src/kubelet/containerd/index.js';
import { BasicKeyring } from '../../src/kubelet/credentials/index.js';
import { ImageManager } from '../../src/kubelet/images/index.js';
import { startKubelet, type Kubelet } from '../../src/kubelet/kubelet.js';
import { createPodConfigBuilder } from '../../src/kubelet/podconfig/index.js';
import { createVolumeManager } from '../../src/kubelet/volumes/index.js';
import { CriRuntime } from '../../src/kubelet/runtime/index.js';
import { MemoryStore } from '../../src/storage/index.js';
import { buildTestImages, defaultImagesDir } from '../images/build.js';
import { poll } from '../helpers/poll.js';
import { importImages, linkExists, mountsUnder } from '../helpers/containerd.js';

const BRIDGE = 'bertht1';
const SUBNET = '10.42.241.0/24';
const NODE = 'node01';
const NODE_IP = '127.0.1.1';

let skew = 0;
const now = (): number => Date.now() + skew;

const waitUntil = <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> => poll(what, fn, ms);

function httpHead(host: string, port: number): Promise<{ status: number; server: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', method: 'HEAD', timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, server: String(res.headers.server ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}


test('kubelet on containerd: a crash-looping echo pod and an nginx pod answering on its pod IP', { timeout: 300_000 }, async (t) => {
  const failed = preflight().filter((r) => !r.ok);
  if (failed.length) {
    t.skip(failed.map((r) => r.message).join('; '));
    return;
  }
  if (linkExists(BRIDGE)) {
    t.skip(`network interface ${BRIDGE} already exists (another run of this test?)`);
    return;
  }
  const images = await buildTestImages(defaultImagesDir(), ['busybox', 'nginx', 'pause']);
  const dir = mkdtempSync(join(tmpdir(), 'berth-pods-cd-'));
  const logRoot = join(dir, 'kubelet', 'logs', 'pods');
  const paths = writeContainerdConfig({ dir: join(dir, 'containerd'), podSubnet: SUBNET, bridgeName: BRIDGE, sandboxImage: 'docker.io/library/pause:3.10' });
  const cd = new ContainerdProcess({ paths, restartInitialMs: 100 });
  let rt: CriRuntime | undefined;
  let server: ApiServer | undefined;
  const store = new MemoryStore();
  let client: Client | undefined;
  let kubelet: Kubelet | undefined;
  try {
    await cd.start();
    importImages(paths.socket, dir, [images.busybox!, images.nginx!, images.pause!]);
    rt = new CriRuntime({ socketPath: paths.socket });
    for (const ref of ['docker.io/library/busybox:1', 'docker.io/library/nginx:1']) await waitUntil(`CRI to see ${ref}`, () => rt!.imageStatus(ref));

    server = await startApiServer({ dataDir: join(dir, 'api'), listen: '127.0.0.1:0', store, log: silentLogger, ...defaultServerModules() });
    client = createClient(loadKubeconfig(server.kubeconfigPath));
    await client.create(RESOURCES.serviceaccounts, 'default', { metadata: { name: 'default' } }).catch((e: unknown) => { if (!isStatusCode(e, 409)) throw e; });
    const recorder = createEventRecorder(client, { component: 'kubelet', host: NODE });
    const imageManager = new ImageManager({ runtime: rt, nodeKeyring: new BasicKeyring(), now });
    const rootDir = join(dir, 'kubelet');
    const podConfig = createPodConfigBuilder({
      client, nodeName: NODE, rootDir, clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', hostIP: NODE_IP, log: silentLogger, resolvConf: '',
    });
    const volumes = createVolumeManager({ client, rootDir, log: silentLogger });
    // Counts the per-pod state reads (one per sync) so the test knows a restarted kubelet has synced.
    const syncsOf = new Map<string, number>();
    const runtime = new Proxy(rt, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'listContainers' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return (filter?: { labelSelector?: Record<string, string> }, o?: unknown) => {
          const uid = filter?.labelSelector?.['io.kubernetes.pod.uid'];
          if (uid) syncsOf.set(uid, (syncsOf.get(uid) ?? 0) + 1);
          return target.listContainers(filter as never, o as never);
        };
      },
    });
    const kubeletOptions = {
      nodeName: NODE, client, runtime, images: imageManager, recorder, rootDir, podConfig, volumes,
      log: silentLogger, now, resyncMs: 1000, relistMs: 500, nodeIP: NODE_IP,
    };
    kubelet = await startKubelet(kubeletOptions);
    const c = client;
    const getPod = (name: string): Promise<Pod> => c.get(RESOURCES.pods, 'default', name) as Promise<Pod>;

    const crash = await c.create(RESOURCES.pods, 'default', { metadata: { name: 'echo' }, spec: {
      nodeName: NODE, containers: [{ name: 'echo', image: 'busybox:1', imagePullPolicy: 'IfNotPresent', command: ['echo', 'SUCCESS'] }],
    } } as ApiObject) as Pod;
    const web = await c.create(RESOURCES.pods, 'default', { metadata: { name: 'web' }, spec: {
      nodeName: NODE, containers: [{ name: 'nginx', image: 'nginx:1', imagePullPolicy: 'IfNotPresent' }],
    } } as ApiObject) as Pod;

    // The first exit restarts at once; the second one backs off.
    const looping = await waitUntil('echo to be in CrashLoopBackOff', async () => {
      const s = (await getPod('echo')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    assert.equal(looping.restartCount, 1);
    assert.equal(looping.lastState?.terminated?.reason, 'Completed');
    assert.equal(looping.lastState?.terminated?.exitCode, 0);
    assert.match(looping.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    // containerd reports the repo digest of a pulled image; an image imported by tag has none, so
    // its ID stands in (containerd 1.6 toCRIContainerStatus).
    const busybox = (await rt.imageStatus('docker.io/library/busybox:1'))!;
    assert.equal(looping.imageID, busybox.repoDigests[0] ?? busybox.id);
    assert.equal((await getPod('echo')).status?.phase, 'Running');
    const podLogs = join(logRoot, `default_echo_${crash.metadata!.uid}`);
    const lastLog = readFileSync(join(podLogs, 'echo', '1.log'), 'utf8');
    assert.match(lastLog, /^\S+ stdout F SUCCESS$/m, 'the CRI log file holds the output');

    // Past the 10 s back-off (moved by the injected clock) it restarts: RESTARTS grows.
    skew += 11_000;
    await waitUntil('restartCount 2', async () => (await getPod('echo')).status?.containerStatuses?.[0]?.restartCount === 2);
    // Container GC keeps the newest instance and the previous one (kubectl logs --previous).
    await waitUntil('the oldest attempt and its log to be collected', async () => !existsSync(join(podLogs, 'echo', '0.log')));
    assert.match(readFileSync(join(podLogs, 'echo', '1.log'), 'utf8'), /stdout F SUCCESS/);
    const events = await waitUntil('the BackOff and Pulled events', async () => {
      const ev = (await c.list(RESOURCES.events, 'default')).items.filter((e) => e.involvedObject?.uid === crash.metadata!.uid);
      return ev.some((e) => e.reason === 'BackOff') && ev.some((e) => e.reason === 'Pulled') ? ev : undefined;
    });
    const backOff = events.find((e) => e.reason === 'BackOff');
    assert.equal(backOff?.message, `Back-off restarting failed container echo in pod echo_default(${crash.metadata!.uid})`);
    assert.equal(backOff?.involvedObject?.fieldPath, 'spec.containers{echo}');
    assert.equal(events.find((e) => e.reason === 'Pulled')?.message, 'Container image "busybox:1" already present on machine');

    const running = await waitUntil('web to be Running and Ready', async () => {
      const p = await getPod('web');
      return p.status?.phase === 'Running' && p.status.conditions?.find((x) => x.type === 'Ready')?.status === 'True' ? p : undefined;
    });
    const ip = running.status!.podIP!;
    assert.ok(ip.startsWith('10.42.241.'), `pod IP ${ip} is in ${SUBNET}`);
    assert.equal(web.metadata!.uid, running.metadata!.uid);
    const head = await waitUntil('nginx to answer on the pod IP', () => httpHead(ip, 80));
    assert.equal(head.status, 200);
    assert.match(head.server, /^nginx/);

    // A restarted kubelet adopts the running nginx: same container, same restartCount, still serving.
    const beforeRestart = (await getPod('web')).status!.containerStatuses![0]!;
    await kubelet.stop();
    kubelet = await startKubelet(kubeletOptions);
    const webUid = web.metadata!.uid!;
    const seen = syncsOf.get(webUid) ?? 0;
    await waitUntil('three syncs of web by the new kubelet', async () => (syncsOf.get(webUid) ?? 0) >= seen + 3);
    const afterRestart = (await getPod('web')).status!.containerStatuses![0]!;
    assert.equal(afterRestart.containerID, beforeRestart.containerID);
    assert.equal(afterRestart.restartCount, 0);
    assert.ok(afterRestart.state?.running);
    assert.equal((await httpHead(ip, 80)).status, 200);

    // Graceful deletion: nginx stops on its stop signal within the grace period, then the pod,
    // its containers and its sandbox are gone.
    await c.delete(RESOURCES.pods, 'default', 'web', { gracePeriodSeconds: 5 });
    await waitUntil('web to be deleted', async () => {
      try {
        await getPod('web');
        return false;
      } catch (e) {
        return isStatusCode(e, 404);
      }
    });
    const uidSel = { 'io.kubernetes.pod.uid': web.metadata!.uid! };
    assert.deepEqual(await rt.listContainers({ labelSelector: uidSel }), []);
    assert.deepEqual(await rt.listPodSandbox({ labelSelector: uidSel }), []);
    assert.equal(existsSync(join(logRoot, `default_web_${web.metadata!.uid}`)), false, 'the pod log directory is removed');
  } finally {
    await kubelet?.stop();
    if (rt) {
      for (const s of await rt.listPodSandbox().catch(() => [])) {
        await rt.stopPodSandbox(s.id).catch(() => undefined);
        await rt.removePodSandbox(s.id).catch(() => undefined);
      }
      rt.close();
    }
    client?.close();
    await server?.close();
    await store.close();
    await cd.stop();
    spawnSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
    for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(linkExists(BRIDGE), false, 'bridge removed');
  assert.deepEqual(mountsUnder(dir), [], 'no mounts left');
  assert.equal(existsSync(dir), false);
});
