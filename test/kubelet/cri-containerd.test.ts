// Real containerd through berth's kubelet modules: config rendered into a temp dir, containerd
// started as a child, the test images imported offline, then a pod sandbox with the CNI bridge and
// two busybox containers run with runc over CRI: one prints to stdout and stderr and exits (its
// CRI log file is read back), one serves HTTP on the pod IP (fetched from the host through the
// bridge). Everything is stopped and removed, and the test checks that no bridge, network
// namespace, mount, iptables rule or process it made is left behind.
//
// Root only. Network: loopback and the pod address inside the bridge this test creates
// (berthtest0, 10.42.250.0/24, which `berth up` never uses).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContainerdProcess, preflight, writeContainerdConfig } from '../../src/kubelet/containerd/index.js';
import { runtimeContract } from '../../src/kubelet/runtime/contract.js';
import { CriRuntime, type PodSandboxConfig } from '../../src/kubelet/runtime/index.js';
import { buildTestImages, defaultImagesDir } from '../images/build.js';
import { poll } from '../helpers/poll.js';
import { iptablesRulesFor, importImages, linkExists, mountsUnder } from '../helpers/containerd.js';

const BRIDGE = 'berthtest0';
const SUBNET = '10.42.250.0/24';
const SUBNET_PREFIX = '10.42.250.';
const BUSYBOX = 'docker.io/library/busybox:1';
const PAUSE = 'docker.io/library/pause:3.10';

const pollUntil = <T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> => poll(what, fn, ms);

function httpGet(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const processesUsing = (dir: string): number[] =>
  readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false;
    }
  }).map(Number);

test('containerd over CRI runs a sandbox and busybox containers with runc and CNI, then leaves nothing behind', { timeout: 240_000 }, async (t) => {
  const failed = preflight().filter((r) => !r.ok);
  if (failed.length) {
    t.skip(failed.map((r) => r.message).join('; '));
    return;
  }
  if (linkExists(BRIDGE)) {
    t.skip(`network interface ${BRIDGE} already exists (another run of this test?)`);
    return;
  }
  const images = await buildTestImages(defaultImagesDir(), ['busybox', 'pause']);
  const dir = mkdtempSync(join(tmpdir(), 'berth-cri-it-'));
  const logDir = join(dir, 'pods', 'default_it_uid-1');
  const paths = writeContainerdConfig({ dir: join(dir, 'containerd'), podSubnet: SUBNET, bridgeName: BRIDGE, sandboxImage: PAUSE });
  const cd = new ContainerdProcess({ paths, restartInitialMs: 100 });
  let rt: CriRuntime | undefined;
  const sandboxIds: string[] = [];
  try {
    await cd.start();
    assert.ok(cd.pid, 'containerd runs');
    importImages(paths.socket, dir, [images.busybox!, images.pause!]);
    rt = new CriRuntime({ socketPath: paths.socket });

    const version = await rt.version();
    assert.equal(version.runtimeName, 'containerd');
    assert.equal(version.runtimeApiVersion, 'v1');
    const conds = await rt.status();
    assert.deepEqual(conds.map((c) => [c.type, c.status]), [['RuntimeReady', true], ['NetworkReady', true]]);
    // containerd's CRI plugin learns of images imported through ctr from an event it handles
    // asynchronously, so under load the first imageStatus can come before it.
    const busybox = await pollUntil('CRI to see the imported busybox', () => rt!.imageStatus(BUSYBOX));
    assert.equal(busybox.size, images.busybox!.totalSize, "CRI reports the compressed size of manifest, config and layers");
    assert.equal(await rt.imageStatus('docker.io/library/busybox:absent'), undefined);

    // The same contract FakeRuntime passes (src/kubelet/runtime/fake/fake-runtime.test.ts).
    await runtimeContract(rt, { image: BUSYBOX, suffix: 'containerd', logRoot: join(dir, 'pods') });

    const sandbox: PodSandboxConfig = {
      metadata: { name: 'it', uid: 'uid-1', namespace: 'default', attempt: 0 },
      hostname: 'it',
      logDirectory: logDir,
      labels: { 'io.kubernetes.pod.name': 'it', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': 'uid-1' },
      linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const sbId = await rt.runPodSandbox(sandbox);
    sandboxIds.push(sbId);
    const sbStatus = await rt.podSandboxStatus(sbId);
    assert.equal(sbStatus.state, 'SANDBOX_READY');
    assert.ok(sbStatus.ip.startsWith(SUBNET_PREFIX), `pod IP ${sbStatus.ip} is in ${SUBNET}`);
    assert.ok(linkExists(BRIDGE), 'CNI created the bridge');

    // A container that writes to both streams and exits 3.
    const echoId = await rt.createContainer(sbId, {
      metadata: { name: 'echo', attempt: 0 }, image: BUSYBOX,
      command: ['sh', '-c'], args: ['echo SUCCESS; echo oops >&2; exit 3'], logPath: 'echo/0.log',
    }, sandbox);
    await rt.startContainer(echoId);
    const exited = await pollUntil('the echo container to exit', async () => {
      const s = await rt!.containerStatus(echoId);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    });
    assert.equal(exited.exitCode, 3);
    assert.equal(exited.reason, 'Error');
    assert.equal(exited.logPath, join(logDir, 'echo/0.log'));
    // containerd 1.6 stamps started_at after the task's start returns and finished_at from the
    // shim's exit event, so for this instant exit started_at can be 0 or a little after
    // finished_at (both seen here). Both describe the same moment: within a second of each other.
    assert.ok(exited.finishedAt > 0n, `finishedAt ${exited.finishedAt}`);
    const gap = exited.startedAt > exited.finishedAt ? exited.startedAt - exited.finishedAt : exited.finishedAt - exited.startedAt;
    assert.ok(exited.startedAt === 0n || gap < 1_000_000_000n, `startedAt ${exited.startedAt} and finishedAt ${exited.finishedAt} are within 1 s`);
    // CRI log format: `<RFC3339Nano> <stream> <F|P> <line>`.
    const lines = readFileSync(exited.logPath, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(lines.map((l) => [l[1], l[2], l.slice(3).join(' ')]).sort(), [['stderr', 'F', 'oops'], ['stdout', 'F', 'SUCCESS']]);
    assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l[0]))), 'each line starts with a timestamp');

    // A container serving HTTP on the pod IP, reached from the host through the bridge.
    const webId = await rt.createContainer(sbId, {
      metadata: { name: 'web', attempt: 0 }, image: BUSYBOX,
      command: ['sh', '-c'], args: ['mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www'],
      logPath: 'web/0.log', linux: { resources: { memoryLimitInBytes: 64 * 1024 * 1024 } },
    }, sandbox);
    await rt.startContainer(webId);
    const answer = await pollUntil('httpd in the pod to answer', () => httpGet(sbStatus.ip, 8080, '/index.html'));
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'hello-from-pod\n');

    // kill -9 of containerd: it is restarted, and the running container (its shim survives) keeps
    // serving and is still reported running.
    const firstPid = cd.pid!;
    const restarted = new Promise<Error | undefined>((resolve) => (cd.onRestart = resolve));
    process.kill(firstPid, 'SIGKILL');
    assert.equal(await restarted, undefined, 'containerd came back with its CRI ready');
    assert.equal(cd.restarts, 1);
    assert.notEqual(cd.pid, firstPid);
    assert.equal((await rt.containerStatus(webId)).state, 'CONTAINER_RUNNING');
    assert.equal((await httpGet(sbStatus.ip, 8080, '/index.html')).body, 'hello-from-pod\n');

    const listed = await rt.listContainers({ podSandboxId: sbId });
    assert.deepEqual(listed.map((c) => [c.metadata.name, c.state]).sort(), [['echo', 'CONTAINER_EXITED'], ['web', 'CONTAINER_RUNNING']]);

    await rt.stopContainer(webId, 0);
    const stopped = await rt.containerStatus(webId);
    assert.equal(stopped.state, 'CONTAINER_EXITED');
    assert.equal(stopped.exitCode, 137, 'SIGKILL with no grace period');
    for (const id of [echoId, webId]) await rt.removeContainer(id);
    await assert.rejects(rt.containerStatus(echoId), (e: any) => e.code === 'NotFound');

    await rt.stopPodSandbox(sbId);
    await rt.removePodSandbox(sbId);
    sandboxIds.length = 0;
    assert.deepEqual(await rt.listPodSandbox(), []);
    assert.deepEqual(await rt.listContainers(), []);
  } finally {
    // Cleanup runs even when an assertion failed, so a failed run leaves nothing either.
    if (rt) {
      // Every sandbox in this (private) containerd, including any a failed contract run left.
      const all = await rt.listPodSandbox().catch(() => []);
      for (const id of new Set([...sandboxIds, ...all.map((s) => s.id)])) {
        await rt.stopPodSandbox(id).catch(() => undefined);
        await rt.removePodSandbox(id).catch(() => undefined);
      }
      rt.close();
    }
    await cd.stop();
    spawnSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
    for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(cd.pid, undefined, 'containerd stopped');
  assert.equal(linkExists(BRIDGE), false, 'bridge removed');
  assert.deepEqual(mountsUnder(dir), [], 'no mounts left under the data dir');
  assert.deepEqual(iptablesRulesFor(SUBNET_PREFIX, BRIDGE), [], 'no iptables rule for the test subnet or bridge');
  assert.deepEqual(processesUsing(dir), [], 'no process (containerd, shim) still uses the data dir');
  assert.equal(existsSync(dir), false);
});
