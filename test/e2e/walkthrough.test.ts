// Issue 4's walkthrough, end to end, as a user does it: `berth up` on this machine (root,
// containerd, runc, CNI), the real kubectl, berth's built-in registry standing in for Docker Hub
// (its public `library` project serves `docker.io/library/*` through containerd's mirror config),
// and a separate `berth registry` reached as `hub.test.com` through --registry-config, whose
// `library` project is private. Every step asserts what the user sees: STATUS and RESTARTS
// columns, waiting reasons, event messages, logs and the HTTP answer.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify as yaml } from 'yaml';
import { startBerthUp, type BerthUp } from '../helpers/berth-up.js';
import { describeEvents, kubectl, kubectlMissing, kubectlStream, parseTable, type KubectlTarget } from '../helpers/kubectl.js';
import { pollUntil, pullCount, startBerthRegistry, type BerthRegistry } from '../helpers/registry.js';
import { buildTestImages, defaultImagesDir, type BuiltImage } from '../images/build.js';
import { pushLayout } from '../images/push.js';
import { preflight } from '../../src/kubelet/containerd/index.js';

const missing = (): string | undefined => {
  if (process.getuid?.() !== 0) return 'needs root (containerd, bridges)';
  const failed = preflight().filter((r) => !r.ok);
  if (failed.length) return failed.map((r) => r.message).join('; ');
  return kubectlMissing();
};
const skip = missing();

let up: BerthUp;
let hub: BerthRegistry;
let k: KubectlTarget;
let images: { busybox: BuiltImage; nginx: BuiltImage };
let work: string;

async function kc(args: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await kubectl(k, args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function apply(doc: unknown): Promise<void> {
  await kc(['apply', '-f', '-'], { stdin: yaml(doc) });
}

/** The pod as JSON. */
async function pod(name: string, ns = 'default'): Promise<any> {
  return JSON.parse(await kc(['get', 'pod', name, '-n', ns, '-o', 'json']));
}

/** `kubectl get pod NAME` as a row keyed by header. */
async function podRow(name: string, ns = 'default'): Promise<Record<string, string>> {
  const t = parseTable(await kc(['get', 'pod', name, '-n', ns]));
  return Object.fromEntries(t.headers.map((h, i) => [h, t.rows[0][i]]));
}

/** The pod's events (`kubectl describe`), as rows {Type, Reason, Age, From, Message}. */
async function events(name: string, ns = 'default'): Promise<Record<string, string>[]> {
  const d = describeEvents(await kc(['describe', 'pod', name, '-n', ns]));
  if (!d || d === 'none') return [];
  return d.rows.map((r) => Object.fromEntries(d.headers.map((h, i) => [h, r[i]])));
}

/** Polls until `check` returns a value (60 s by default), reporting the pod's state on timeout. */
function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  return pollUntil(what, ms, check);
}

async function deletePod(name: string, ns = 'default'): Promise<void> {
  await kc(['delete', 'pod', name, '-n', ns, '--ignore-not-found', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
}

function podSpec(name: string, container: Record<string, unknown>, extra: Record<string, unknown> = {}, ns = 'default'): unknown {
  // A short grace period: busybox's `sleep` as PID 1 ignores SIGTERM, and every step deletes its pods.
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name, ...container }], ...extra } };
}

function httpHead(ip: string, port = 80): Promise<{ status: number; server: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, method: 'HEAD', path: '/', timeout: 5000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, server: String(res.headers.server ?? '') });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('issue 4 walkthrough on berth up', { skip, timeout: 20 * 60_000 }, () => {
  before(async () => {
    images = await buildTestImages(defaultImagesDir(), ['busybox', 'nginx']) as typeof images;
    work = mkdtempSync(join(tmpdir(), 'berth-walkthrough-'));
    hub = await startBerthRegistry();
    const regConfig = join(work, 'registries.yaml');
    writeFileSync(regConfig, yaml({
      mirrors: { 'hub.test.com': { endpoint: [hub.url] } },
      configs: { [hub.host]: { tls: { ca_file: hub.caFile } } },
    }));
    up = await startBerthUp({ registryConfig: regConfig });
    k = { kubeconfig: up.kubeconfig, home: up.home };
    const admin = { username: 'admin', password: up.adminPassword };
    // Docker Hub's nginx and busybox, as the built-in registry's public library project serves them.
    await pushLayout(images.nginx.ociRef, `${up.registryHost}/library/nginx:latest`, { credentials: admin, tls: { caFile: up.caFile } });
    await pushLayout(images.nginx.ociRef, `${up.registryHost}/library/nginx:1.14`, { credentials: admin, tls: { caFile: up.caFile } });
    await pushLayout(images.busybox.ociRef, `${up.registryHost}/library/busybox:latest`, { credentials: admin, tls: { caFile: up.caFile } });
    // hub.test.com: library is private and holds library/nginx:v1, as a Docker schema2 manifest:
    // its digest differs from the OCI one the built-in registry serves, so containerd must GET
    // it (a manifest already in its content store would only be HEADed, which Harbor does not count).
    await pushLayout(images.nginx.ociRef, `${hub.host}/library/nginx:v1`, { credentials: { username: 'admin', password: hub.adminPassword }, tls: { caFile: hub.caFile! }, format: 'v2s2' });
    const r = await hub.api('PUT', '/projects/library', { metadata: { public: 'false' } });
    assert.equal(r.status, 200, r.text);
  });

  after(async () => {
    await up?.stop();
    await hub?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('kubectl get nodes shows node01 Ready', async () => {
    const t = parseTable(await kc(['get', 'nodes']));
    assert.deepEqual(t.headers, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    assert.equal(t.rows[0][0], 'node01');
    assert.equal(t.rows[0][1], 'Ready');
    assert.match(t.rows[0][4], /^v1\.32\./);
  });

  it('kubectl run nginx-test1 --image=nginx runs, with Pulling and Successfully pulled events', async () => {
    await kc(['run', 'nginx-test1', '--image=nginx']);
    await waitFor('nginx-test1 Running', async () => ((await podRow('nginx-test1')).STATUS === 'Running' ? true : undefined));
    const ev = await events('nginx-test1');
    assert.ok(ev.some((e) => e.Reason === 'Scheduled' && e.Message === 'Successfully assigned default/nginx-test1 to node01'), JSON.stringify(ev));
    assert.ok(ev.some((e) => e.Reason === 'Pulling' && e.Message === 'Pulling image "nginx"'), JSON.stringify(ev));
    assert.ok(ev.some((e) => e.Reason === 'Pulled' && /^Successfully pulled image "nginx" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/.test(e.Message)), JSON.stringify(ev));
    assert.ok(ev.some((e) => e.Reason === 'Started' && e.Message === 'Started container nginx-test1'), JSON.stringify(ev));
    await deletePod('nginx-test1');
  });

  it('Always + echo SUCCESS crash-loops: RESTARTS grow, CrashLoopBackOff, BackOff event, Pulling repeats, logs show SUCCESS', async () => {
    await apply(podSpec('nginx-test1', { image: 'nginx', imagePullPolicy: 'Always', command: ['echo', 'SUCCESS'] }));
    const p = await waitFor('CrashLoopBackOff with 2 restarts', async () => {
      const row = await podRow('nginx-test1');
      return row.STATUS === 'CrashLoopBackOff' && Number(row.RESTARTS.split(' ')[0]) >= 2 ? row : undefined;
    }, 180_000);
    assert.equal(p.READY, '0/1');
    const ev = await events('nginx-test1');
    const uid = (await pod('nginx-test1')).metadata.uid;
    assert.ok(ev.some((e) => e.Reason === 'BackOff' && e.Type === 'Warning' && e.Message === `Back-off restarting failed container nginx-test1 in pod nginx-test1_default(${uid})`), JSON.stringify(ev));
    const pulling = ev.find((e) => e.Reason === 'Pulling');
    assert.ok(pulling, JSON.stringify(ev));
    assert.match(pulling.Age, /\(x\d+ over /, 'Pulling repeats on every restart, folded into one event with a count');
    const logs = await kc(['logs', 'nginx-test1']);
    assert.equal(logs, 'SUCCESS\n');
    const st = (await pod('nginx-test1')).status.containerStatuses[0];
    assert.equal(st.state.waiting.reason, 'CrashLoopBackOff');
    assert.equal(st.lastState.terminated.reason, 'Completed');
    assert.equal(st.lastState.terminated.exitCode, 0);
    await deletePod('nginx-test1');
  });

  it('nginx:1.14 without a command runs and answers HTTP on its pod IP with nginx\'s Server header', async () => {
    await apply(podSpec('nginx-test1', { image: 'nginx:1.14' }));
    const ip = await waitFor('pod IP', async () => {
      const p = await pod('nginx-test1');
      return p.status.phase === 'Running' && p.status.podIP ? String(p.status.podIP) : undefined;
    });
    assert.match(ip, /^10\.42\.\d+\.\d+$/);
    const res = await waitFor('nginx answers', async () => httpHead(ip).catch(() => undefined), 30_000);
    assert.equal(res.status, 200);
    assert.match(res.server, /^nginx/);
    await deletePod('nginx-test1');
  });

  it('IfNotPresent with ["sh","while true;..."] crash-loops: logs --previous show sh\'s "can\'t open", the image is already present; with sh -c it runs', async () => {
    const script = 'while true;do echo SUCCESS;done;';
    await apply(podSpec('nginx-test2', { image: 'nginx', imagePullPolicy: 'IfNotPresent', command: ['sh', script] }));
    await waitFor('a restart', async () => (Number((await podRow('nginx-test2')).RESTARTS.split(' ')[0]) >= 1 ? true : undefined), 120_000);
    const prev = await kc(['logs', 'nginx-test2', '--previous']);
    assert.equal(prev.trim(), `sh: can't open '${script}': No such file or directory`);
    const ev = await events('nginx-test2');
    assert.ok(ev.some((e) => e.Reason === 'Pulled' && e.Message === 'Container image "nginx" already present on machine'), JSON.stringify(ev));
    assert.ok(!ev.some((e) => e.Reason === 'Pulling'), 'IfNotPresent with a present image never pulls');
    await deletePod('nginx-test2');
    await apply(podSpec('nginx-test2', { image: 'nginx', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] }));
    await waitFor('Running', async () => ((await podRow('nginx-test2')).STATUS === 'Running' ? true : undefined));
    const logs = await kc(['logs', 'nginx-test2', '--tail=2']);
    assert.equal(logs, 'SUCCESS\nSUCCESS\n');
    await deletePod('nginx-test2');
  });

  it('a private hub.test.com image fails without credentials (the registry\'s 401 in Failed), runs with an auth-only dockerconfigjson secret, and the pull count rises', async () => {
    const image = 'hub.test.com/library/nginx:v1';
    const before = await pullCount(hub, 'library', 'nginx');
    await apply(podSpec('private1', { image }));
    const reason = await waitFor('ErrImagePull or ImagePullBackOff', async () => {
      const s = (await pod('private1')).status.containerStatuses?.[0]?.state?.waiting;
      return s && ['ErrImagePull', 'ImagePullBackOff'].includes(s.reason) ? s.reason : undefined;
    });
    assert.ok(reason);
    const ev = await events('private1');
    const failed = ev.find((e) => e.Reason === 'Failed' && e.Message.startsWith(`Failed to pull image "${image}":`));
    assert.ok(failed, JSON.stringify(ev));
    // The registry answers the anonymous pull with 401 and its error body; containerd words it so.
    assert.match(failed.Message, /: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed$/);
    await waitFor('ImagePullBackOff', async () => ((await podRow('private1')).STATUS === 'ImagePullBackOff' ? true : undefined));
    await deletePod('private1');

    const auth = Buffer.from(`admin:${hub.adminPassword}`).toString('base64');
    await apply({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hub-cred', namespace: 'default' }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'hub.test.com': { auth } } })).toString('base64') },
    });
    await apply(podSpec('private1', { image }, { imagePullSecrets: [{ name: 'hub-cred' }] }));
    await waitFor('private1 Running', async () => ((await podRow('private1')).STATUS === 'Running' ? true : undefined));
    await waitFor('pull count up', async () => ((await pullCount(hub, 'library', 'nginx')) > before ? true : undefined), 10_000);
  });

  it('a pod in another namespace without credentials cannot use the cached private image', async () => {
    await kc(['create', 'namespace', 'other']);
    await apply(podSpec('sneaky', { image: 'hub.test.com/library/nginx:v1', imagePullPolicy: 'IfNotPresent' }, {}, 'other'));
    const s = await waitFor('a pull failure', async () => {
      const w = (await pod('sneaky', 'other')).status.containerStatuses?.[0]?.state?.waiting;
      return w && ['ErrImagePull', 'ImagePullBackOff'].includes(w.reason) ? w : undefined;
    });
    assert.ok(s);
    assert.notEqual((await podRow('sneaky', 'other')).STATUS, 'Running');
    await apply(podSpec('sneaky-never', { image: 'hub.test.com/library/nginx:v1', imagePullPolicy: 'Never' }, {}, 'other'));
    const never = await waitFor('ErrImageNeverPull', async () => {
      const w = (await pod('sneaky-never', 'other')).status.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImageNeverPull' ? w : undefined;
    });
    assert.equal(never.message, 'Container image "hub.test.com/library/nginx:v1" is not present with pull policy of Never');
    await kc(['delete', 'namespace', 'other', '--wait=false']);
  });

  it('wrong credentials fail with a clear message', async () => {
    const auth = Buffer.from('admin:wrong-password').toString('base64');
    await apply({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad-cred', namespace: 'default' }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'hub.test.com': { auth } } })).toString('base64') },
    });
    await apply(podSpec('badcred', { image: 'hub.test.com/library/nginx:v1', imagePullPolicy: 'Always' }, { imagePullSecrets: [{ name: 'bad-cred' }] }));
    const ev = await waitFor('a Failed event', async () => (await events('badcred')).find((e) => e.Reason === 'Failed' && e.Message.startsWith('Failed to pull image')));
    assert.match(ev.Message, /401 Unauthorized|unauthorized/i);
    await deletePod('badcred');
  });

  it('Never with an absent image gives ErrImageNeverPull; an unknown tag gives ErrImagePull then ImagePullBackOff with the not-found message', async () => {
    await apply(podSpec('never1', { image: 'busybox:absent', imagePullPolicy: 'Never', command: ['true'] }));
    const w = await waitFor('ErrImageNeverPull', async () => {
      const s = (await pod('never1')).status.containerStatuses?.[0]?.state?.waiting;
      return s?.reason === 'ErrImageNeverPull' ? s : undefined;
    });
    assert.equal(w.message, 'Container image "busybox:absent" is not present with pull policy of Never');
    assert.equal((await podRow('never1')).STATUS, 'ErrImageNeverPull');
    await deletePod('never1');

    await apply(podSpec('nope1', { image: 'nginx:nope' }));
    const watch = kubectlStream(k, ['get', 'pod', 'nope1', '-w']);
    try {
      await watch.waitForLine(/\sErrImagePull\s/, 90_000);
      await watch.waitForLine(/\sImagePullBackOff\s/, 90_000);
    } finally {
      await watch.stop();
    }
    const ev = await events('nope1');
    const failed = ev.find((e) => e.Reason === 'Failed' && e.Message.startsWith('Failed to pull image "nginx:nope":'));
    assert.ok(failed, JSON.stringify(ev));
    assert.match(failed.Message, /docker\.io\/library\/nginx:nope: not found/);
    assert.ok(ev.some((e) => e.Reason === 'BackOff' && e.Message === 'Back-off pulling image "nginx:nope"'), JSON.stringify(ev));
    await deletePod('nope1');
  });

  it('kubectl exec and port-forward work', async () => {
    await apply(podSpec('web', { image: 'nginx:1.14' }));
    await waitFor('web Running', async () => ((await podRow('web')).STATUS === 'Running' ? true : undefined));
    const r = await kubectl(k, ['exec', 'web', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.code, 3);
    const pf = kubectlStream(k, ['port-forward', 'pod/web', ':80']);
    try {
      const line = await pf.waitForLine(/^Forwarding from 127\.0\.0\.1:\d+ -> 80$/, 30_000);
      const port = Number(/:(\d+) ->/.exec(line)![1]);
      const res = await httpHead('127.0.0.1', port);
      assert.equal(res.status, 200);
      assert.match(res.server, /^nginx/);
    } finally {
      await pf.stop();
    }
    await deletePod('web');
  });

  it('berth rmi removes the cached image, so the next IfNotPresent pod pulls it', async () => {
    await apply(podSpec('bb', { image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }));
    await waitFor('bb Running', async () => ((await podRow('bb')).STATUS === 'Running' ? true : undefined));
    await deletePod('bb');
    const list = await up.berth(['images']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/m);
    assert.match(list.stdout, /^docker\.io\/library\/busybox\s+latest\s/m);
    const rmi = await up.berth(['rmi', 'busybox']);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.equal(rmi.stdout, 'Deleted: docker.io/library/busybox:latest\n');
    const again = await up.berth(['images']);
    assert.doesNotMatch(again.stdout, /^docker\.io\/library\/busybox\s+latest\s/m);
    await apply(podSpec('bb2', { image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }));
    await waitFor('bb2 Running', async () => ((await podRow('bb2')).STATUS === 'Running' ? true : undefined));
    const ev = await events('bb2');
    assert.ok(ev.some((e) => e.Reason === 'Pulling' && e.Message === 'Pulling image "busybox"'), JSON.stringify(ev));
    await deletePod('bb2');
  });
});
