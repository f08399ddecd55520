// kubectl logs, exec and port-forward end to end: the real kubectl 1.32 -> `berth server` (its
// pod connector) -> berth's kubelet server -> a real containerd (CRI Exec/PortForward through its
// streaming server) -> runc containers. The test plays the pod workers' part itself (P1's land in
// parallel): it creates the sandbox and containers over CRI with upstream's labels, a Node object
// pointing at the kubelet server and a pod bound to it.
//
// Root only. Network: loopback, and the pod addresses inside bridge bertht4 (10.42.244.0/24),
// which this test creates and removes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOrCreateCA } from '../../src/common/ca.js';
import { ContainerdProcess, preflight, writeContainerdConfig } from '../../src/kubelet/containerd/index.js';
import { CriRuntime, type ContainerConfig, type PodSandboxConfig } from '../../src/kubelet/runtime/index.js';
import { startKubeletServer, type KubeletServer } from '../../src/kubelet/server/index.js';
import { startBerthServer, type BerthServer } from '../helpers/berth-server.js';
import { kubectl, kubectlMissing, kubectlStream } from '../helpers/kubectl.js';
import { buildTestImages, defaultImagesDir, NGINX_INDEX } from '../images/build.js';
import { poll } from '../helpers/poll.js';
import { iptablesRulesFor, importImages, linkExists, mountsUnder } from '../helpers/containerd.js';

const BRIDGE = 'bertht4';
const SUBNET = '10.42.244.0/24';
const SUBNET_PREFIX = '10.42.244.';
const BUSYBOX = 'docker.io/library/busybox:1';
const NGINX = 'docker.io/library/nginx:1';
const PAUSE = 'docker.io/library/pause:3.10';
const NS = 'default';
const POD = 'p4';
const POD_UID = 'p4-uid-0001';
const NODE = 'p4-node';

const pollUntil = <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> => poll(what, fn, ms, 100);

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** GET /healthz on the kubelet server, with or without a client certificate. */
function healthz(port: number, caPem: string, client?: { certPem: string; keyPem: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', ca: caPem, cert: client?.certPem, key: client?.keyPem, timeout: 5000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A port that was free a moment ago (bind 0, read it, close). */
function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}


test('kubectl logs, exec and port-forward reach containerd through berth server and the kubelet server', { timeout: 420_000 }, async (t) => {
  const failed = preflight().filter((r) => !r.ok);
  if (failed.length) {
    t.skip(failed.map((r) => r.message).join('; '));
    return;
  }
  const noKubectl = kubectlMissing();
  if (noKubectl) {
    t.skip(noKubectl);
    return;
  }
  if (linkExists(BRIDGE)) {
    t.skip(`network interface ${BRIDGE} already exists (another run of this test?)`);
    return;
  }
  const t0 = Date.now();
  const mark = (what: string): void => t.diagnostic(`${what} at ${Date.now() - t0} ms`);
  const images = await buildTestImages(defaultImagesDir(), ['busybox', 'nginx', 'pause']);
  const dir = mkdtempSync(join(tmpdir(), 'berth-p4-stream-'));
  const logDir = join(dir, 'kubelet', 'logs', 'pods', `${NS}_${POD}_${POD_UID}`);
  const paths = writeContainerdConfig({ dir: join(dir, 'containerd'), podSubnet: SUBNET, bridgeName: BRIDGE, sandboxImage: PAUSE });
  const cd = new ContainerdProcess({ paths, restartInitialMs: 100 });
  let rt: CriRuntime | undefined;
  let server: BerthServer | undefined;
  let kubelet: KubeletServer | undefined;
  try {
    await cd.start();
    importImages(paths.socket, dir, [images.busybox!, images.nginx!, images.pause!]);
    rt = new CriRuntime({ socketPath: paths.socket });
    const runtime = rt;
    for (const ref of [BUSYBOX, NGINX]) await pollUntil(`CRI to see ${ref}`, () => runtime.imageStatus(ref));

    // The control plane, and a kubelet server with a serving certificate from the cluster CA.
    server = await startBerthServer();
    const target = { kubeconfig: server.kubeconfig, home: server.home };
    const ca = await loadOrCreateCA(join(server.dataDir, 'tls'));
    const serving = await ca.issue({ commonName: `system:node:${NODE}`, organization: ['system:nodes'], hosts: ['127.0.0.1'], usage: 'server' });
    kubelet = await startKubeletServer({
      listen: { host: '127.0.0.1', port: 0 }, tls: { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem },
      runtime, rootDir: join(dir, 'kubelet'),
    });

    // The sandbox and containers, labelled as upstream's kubelet labels them.
    const podLabels = { 'io.kubernetes.pod.name': POD, 'io.kubernetes.pod.namespace': NS, 'io.kubernetes.pod.uid': POD_UID };
    const sandbox: PodSandboxConfig = {
      metadata: { name: POD, uid: POD_UID, namespace: NS, attempt: 0 }, hostname: POD, logDirectory: logDir, labels: podLabels,
      linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const sbId = await runtime.runPodSandbox(sandbox);
    const container = (name: string, attempt: number, image: string, script?: string): ContainerConfig => ({
      metadata: { name, attempt }, image, ...(script ? { command: ['sh', '-c', script] } : {}),
      logPath: `${name}/${attempt}.log`,
      labels: { ...podLabels, 'io.kubernetes.container.name': name },
      annotations: { 'io.kubernetes.container.restartCount': String(attempt) },
    });
    const run = async (c: ContainerConfig): Promise<string> => {
      const id = await runtime.createContainer(sbId, c, sandbox);
      await runtime.startContainer(id);
      return id;
    };
    const exitedOf = (id: string) => pollUntil(`container ${id} to exit`, async () => ((await runtime.containerStatus(id)).state === 'CONTAINER_EXITED' ? true : undefined));
    // `app` ran once and failed, then restarted: attempt 1 runs.
    await exitedOf(await run(container('app', 0, BUSYBOX, 'echo first-run; exit 1')));
    const appId = await run(container('app', 1, BUSYBOX, 'echo second-run; sleep 0.3; echo oops >&2; sleep 0.3; echo third-line; exec sleep 3600'));
    await run(container('nginx', 0, NGINX));

    // The Node (its InternalIP and kubelet port lead the API server to our kubelet server) and the pod.
    let r = await server.api.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } } });
    assert.equal(r.status, 201, r.body);
    r = await server.api.request('PATCH', `/api/v1/nodes/${NODE}/status`, {
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } },
    });
    assert.equal(r.status, 200, r.body);
    r = await server.api.request('POST', `/api/v1/namespaces/${NS}/pods`, {
      body: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, namespace: NS },
        spec: { nodeName: NODE, containers: [{ name: 'app', image: BUSYBOX }, { name: 'nginx', image: NGINX }, { name: 'ticker', image: BUSYBOX }] },
      },
    });
    assert.equal(r.status, 201, r.body);
    r = await server.api.request('PATCH', `/api/v1/namespaces/${NS}/pods/${POD}/status`, {
      headers: { 'Content-Type': 'application/merge-patch+json' }, body: { status: { phase: 'Running' } },
    });
    assert.equal(r.status, 200, r.body);
    await pollUntil('app to write its lines', async () => {
      const log = readFileSync(join(logDir, 'app/1.log'), 'utf8');
      return log.includes('third-line') ? true : undefined;
    });

    // --- logs ---
    let k = await kubectl(target, ['logs', POD, '-c', 'app']);
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout, 'second-run\noops\nthird-line\n');
    mark("'logs', POD, '-c', 'app', '--tail=1'");
    k = await kubectl(target, ['logs', POD, '-c', 'app', '--tail=1']);
    assert.equal(k.stdout, 'third-line\n', k.stderr);
    mark("'logs', POD, '-c', 'app', '--timestamps'");
    k = await kubectl(target, ['logs', POD, '-c', 'app', '--timestamps']);
    assert.equal(k.code, 0, k.stderr);
    const stamped = k.stdout.trimEnd().split('\n');
    assert.deepEqual(stamped.map((l) => l.replace(/^\S+ /, '')), ['second-run', 'oops', 'third-line']);
    for (const l of stamped) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /, `RFC3339Nano timestamp on ${JSON.stringify(l)}`);
    mark("'logs', POD, '-c', 'app', '--limit-bytes=8'");
    k = await kubectl(target, ['logs', POD, '-c', 'app', '--limit-bytes=8']);
    assert.equal(k.stdout, 'second-r');
    mark("'logs', POD, '-c', 'app', '--previous'");
    k = await kubectl(target, ['logs', POD, '-c', 'app', '--previous']);
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout, 'first-run\n', 'the previous attempt');
    mark("'logs', POD, '-c', 'nginx', '--previous'");
    k = await kubectl(target, ['logs', POD, '-c', 'nginx', '--previous']);
    assert.equal(k.code, 1);
    assert.equal(k.stderr.trim(), `Error from server (BadRequest): previous terminated container "nginx" in pod "${POD}" not found`);
    mark("'logs', POD, '-c', 'ticker'");
    k = await kubectl(target, ['logs', POD, '-c', 'ticker']);
    assert.equal(k.code, 1);
    assert.equal(k.stderr.trim(), `Error from server (BadRequest): container "ticker" in pod "${POD}" is waiting to start: ContainerCreating`);

    // -f streams while the container runs and ends once it exited and its log is read.
    await run(container('ticker', 0, BUSYBOX, 'for i in 1 2 3; do echo tick $i; sleep 1; done'));
    const started = Date.now();
    mark("'logs', '-f', POD, '-c', 'ticker'");
    k = await kubectl(target, ['logs', '-f', POD, '-c', 'ticker'], { timeoutMs: 30_000 });
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout, 'tick 1\ntick 2\ntick 3\n');
    assert.ok(Date.now() - started >= 1500, 'the follow waited for lines written after it began');

    // --- exec ---
    mark("'exec', POD, '-c', 'app', '--', 'sh', '-c', 'echo hi; exit 3'");
    k = await kubectl(target, ['exec', POD, '-c', 'app', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(k.stdout, 'hi\n');
    assert.equal(k.code, 3, `exit code passes through (stderr: ${k.stderr})`);
    assert.match(k.stderr, /command terminated with exit code 3/);
    mark("'exec', POD, '-c', 'app', '--', 'sh', '-c', 'echo out; echo err >&2'");
    k = await kubectl(target, ['exec', POD, '-c', 'app', '--', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout, 'out\n');
    assert.equal(k.stderr, 'err\n');
    mark("'exec', '-i', POD, '-c', 'app', '--', 'cat'");
    k = await kubectl(target, ['exec', '-i', POD, '-c', 'app', '--', 'cat'], { stdin: 'hello stdin\nsecond line\n' });
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout, 'hello stdin\nsecond line\n', 'stdin reaches the command and its EOF ends it');
    mark('exec over SPDY');
    // kubectl's SPDY fallback (what older clients speak): streams relayed one for one to containerd.
    const spdyExec = { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } };
    k = await kubectl(target, ['exec', POD, '-c', 'app', '--', 'sh', '-c', 'echo spdy; exit 4'], spdyExec);
    assert.equal(k.stdout, 'spdy\n');
    assert.equal(k.code, 4, `exit code passes through SPDY too (stderr: ${k.stderr})`);
    assert.match(k.stderr, /command terminated with exit code 4/);
    k = await kubectl(target, ['exec', '-i', POD, '-c', 'app', '--', 'cat'], { ...spdyExec, stdin: 'over spdy\n' });
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout, 'over spdy\n');
    mark('exec into an exited container');
    k = await kubectl(target, ['exec', POD, '-c', 'ticker', '--', 'true']);
    assert.notEqual(k.code, 0, 'exec into an exited container fails');
    assert.match(k.stderr, /container not found \("ticker"\)/);

    // --- port-forward ---
    for (const mode of ['websocket', 'spdy'] as const) {
      const pf = kubectlStream(target, ['port-forward', `pod/${POD}`, ':80'], mode === 'spdy' ? { env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } } : {});
      try {
        const line = await pf.waitForLine(/^Forwarding from 127\.0\.0\.1:\d+ -> 80$/, 30_000);
        const localPort = Number(/:(\d+) ->/.exec(line)![1]);
        mark(`port-forward (${mode}) ready`);
        for (const path of ['/', '/index.html']) {
          const res = await httpGet(localPort, path);
          assert.equal(res.status, 200, path);
          assert.equal(res.body, NGINX_INDEX, `${mode} ${path}`);
        }
        const missing = await httpGet(localPort, '/absent');
        assert.equal(missing.status, 404, 'each connection is its own stream pair');
        mark(`port-forward (${mode}) GETs done`);
      } finally {
        await pf.stop();
      }
    }

    // The kubelet server answers only clients with a certificate from the cluster CA.
    const withCert = await healthz(kubelet.port, ca.certPem, await ca.issue({ commonName: 'test-client', usage: 'client' }));
    assert.deepEqual(withCert, { status: 200, body: 'ok' });
    await assert.rejects(healthz(kubelet.port, ca.certPem), 'no client certificate, no answer');
    assert.ok(appId);
    // A port nothing listens on: containerd's dial error comes back on the error stream, kubectl
    // prints it and (1.32) ends the forward.
    const local = await freeLocalPort();
    const refused = kubectl(target, ['port-forward', `pod/${POD}`, `${local}:81`], { timeoutMs: 30_000 });
    await pollUntil('kubectl to listen', () => httpGet(local, '/').then(() => true, (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? undefined : true)));
    const pfOut = await refused;
    assert.notEqual(pfOut.code, 0);
    assert.match(pfOut.stderr, /an error occurred forwarding \d+ -> 81: .*connection refused/);
    mark('port-forward done');
  } finally {
    await kubelet?.close().catch(() => undefined);
    if (rt) {
      for (const sb of await rt.listPodSandbox().catch(() => [])) {
        await rt.stopPodSandbox(sb.id).catch(() => undefined);
        await rt.removePodSandbox(sb.id).catch(() => undefined);
      }
      rt.close();
    }
    await cd.stop();
    await server?.stop().catch(() => undefined);
    spawnSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
    for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    mark('cleaned up');
  }
  assert.equal(linkExists(BRIDGE), false, 'bridge removed');
  assert.deepEqual(mountsUnder(dir), [], 'no mounts left');
  assert.deepEqual(iptablesRulesFor(SUBNET_PREFIX, BRIDGE), [], 'no iptables rule for the test subnet or bridge');
});
