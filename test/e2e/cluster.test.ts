// Issue 5's "Done when", end to end on `berth up --nodes 2` with the real kubectl: a Deployment of
// two nginx replicas from a private registry (a separate `berth registry` reached as
// hub.test.com through --registry-config, its `library` project private) spreads over node01 and
// node02; a NodePort Service answers on both node addresses (127.0.1.1, 127.0.1.2); the ClusterIP
// and the cluster DNS names answer from inside a pod; scaling, rolling update, rollout status and
// undo, Deployment and namespace deletion; and a frozen node (SIGSTOP of its `berth agent`)
// turning NotReady with its pods replaced on the other node. Steps run in order on one cluster;
// every wait is a poll with a deadline.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify as yaml } from 'yaml';
import { startBerthUp, type BerthUp } from '../helpers/berth-up.js';
import { kubectl, kubectlMissing, parseTable, type KubectlTarget } from '../helpers/kubectl.js';
import { pollUntil, startBerthRegistry, type BerthRegistry } from '../helpers/registry.js';
import { buildTestImages, defaultImagesDir, NGINX_INDEX, type BuiltImage } from '../images/build.js';
import { pushLayout } from '../images/push.js';
import { preflight } from '../../src/kubelet/containerd/index.js';
import { NODE_MONITOR_GRACE_PERIOD_MS } from '../../src/controllers/nodelifecycle/lifecycle.js';
import { NODE_MONITOR_PERIOD_MS } from '../../src/controllers/nodelifecycle/controller.js';
import { NODE_LEASE_RENEW_INTERVAL_MS } from '../../src/kubelet/node/index.js';

const missing = (): string | undefined => {
  if (process.getuid?.() !== 0) return 'needs root (containerd, bridges, iptables)';
  const failed = preflight().filter((r) => !r.ok);
  if (failed.length) return failed.map((r) => r.message).join('; ');
  return kubectlMissing();
};
const skip = missing();

const V1 = 'hub.test.com/library/nginx:v1';
const V2 = 'hub.test.com/library/nginx:v2';
const NODE_IP: Record<string, string> = { node01: '127.0.1.1', node02: '127.0.1.2' };
/** Short NoExecute tolerations, so a frozen node's pods are evicted 5 s after its taint lands. */
const TOLERATION_SECONDS = 5;

let up: BerthUp;
let hub: BerthRegistry;
let k: KubectlTarget;
let images: { nginx: BuiltImage };
let work: string;

async function kc(args: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await kubectl(k, args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function apply(doc: unknown, ns = 'default'): Promise<string> {
  return kc(['apply', '-n', ns, '-f', '-'], { stdin: yaml(doc) });
}

/** `kubectl get ARGS` as rows keyed by header (an empty list when kubectl prints no table). */
async function rows(args: string[]): Promise<Record<string, string>[]> {
  const t = parseTable(await kc(['get', ...args]));
  return t.rows.map((r) => Object.fromEntries(t.headers.map((h, i) => [h, r[i]])));
}

function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  return pollUntil(what, ms, check);
}

function deployment(name: string, image: string, replicas: number): unknown {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          imagePullSecrets: [{ name: 'hub-cred' }],
          containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }],
          tolerations: ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({
            key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SECONDS,
          })),
        },
      },
    },
  };
}

/** The Deployment's pods (`get pods -o wide`), keyed by header. */
function podsOf(app: string, ns = 'default'): Promise<Record<string, string>[]> {
  return rows(['pods', '-n', ns, '-l', `app=${app}`, '-o', 'wide']);
}

/** Polls until exactly `n` pods of `app` are listed, every one `Running` and `1/1`. */
function runningPods(app: string, n: number, ms = 180_000): Promise<Record<string, string>[]> {
  return waitFor(`${n} ${app} pods Running 1/1`, async () => {
    const p = await podsOf(app);
    return p.length === n && p.every((r) => r.STATUS === 'Running' && r.READY === '1/1') ? p : undefined;
  }, ms);
}

async function rolloutStatus(name: string): Promise<string> {
  const out = await kc(['rollout', 'status', `deployment/${name}`, '--timeout=240s'], { timeoutMs: 260_000 });
  return out.trimEnd().split('\n').at(-1)!;
}

function httpGet(host: string, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/**
 * `wget -qO- URL` inside the pod (the nginx test image carries busybox). Busybox's own `timeout`
 * bounds it: Debian's busybox-static 1.35 wget dies of SIGSEGV whenever `-T` is given.
 */
function wgetFromPod(pod: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return kubectl(k, ['exec', pod, '--', 'timeout', '10', 'wget', '-qO-', url], { timeoutMs: 30_000 });
}

describe('issue 5: Deployments, Services and DNS on berth up --nodes 2', { skip, timeout: 30 * 60_000 }, () => {
  before(async () => {
    images = await buildTestImages(defaultImagesDir(), ['nginx']) as typeof images;
    work = mkdtempSync(join(tmpdir(), 'berth-cluster-'));
    hub = await startBerthRegistry();
    const hubAdmin = { credentials: { username: 'admin', password: hub.adminPassword }, tls: { caFile: hub.caFile! } };
    await pushLayout(images.nginx.ociRef, `${hub.host}/library/nginx:v1`, hubAdmin);
    await pushLayout(images.nginx.ociRef, `${hub.host}/library/nginx:v2`, hubAdmin);
    const r = await hub.api('PUT', '/projects/library', { metadata: { public: 'false' } });
    assert.equal(r.status, 200, r.text);
    const regConfig = join(work, 'registries.yaml');
    writeFileSync(regConfig, yaml({
      mirrors: { 'hub.test.com': { endpoint: [hub.url] } },
      configs: { [hub.host]: { tls: { ca_file: hub.caFile } } },
    }));
    up = await startBerthUp({ nodes: 2, registryConfig: regConfig, readyTimeoutMs: 300_000 });
    k = { kubeconfig: up.kubeconfig, home: up.home };
    const auth = Buffer.from(`admin:${hub.adminPassword}`).toString('base64');
    await apply({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hub-cred' }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'hub.test.com': { auth } } })).toString('base64') },
    });
  });

  after(async () => {
    await up?.stop();
    await hub?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('kubectl get nodes shows node01 and node02 Ready', async () => {
    const nodes = await rows(['nodes']);
    assert.deepEqual(nodes.map((n) => [n.NAME, n.STATUS]), [['node01', 'Ready'], ['node02', 'Ready']]);
  });

  it('a Deployment of 2 private nginx replicas with an imagePullSecret lands one pod on each node', async () => {
    assert.equal(await apply(deployment('my-nginx', V1, 2)), 'deployment.apps/my-nginx created\n');
    assert.equal(await rolloutStatus('my-nginx'), 'deployment "my-nginx" successfully rolled out');
    const pods = await runningPods('my-nginx', 2);
    const t = parseTable(await kc(['get', 'pods', '-l', 'app=my-nginx', '-o', 'wide']));
    assert.deepEqual(t.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.deepEqual(pods.map((p) => p.NODE).sort(), ['node01', 'node02']);
    for (const p of pods) {
      assert.match(p.NAME, /^my-nginx-[a-z0-9]+-[a-z0-9]{5}$/);
      const i = Number(p.NODE.slice(-2));
      assert.match(p.IP, new RegExp(`^10\\.42\\.${i}\\.\\d+$`), `pod ${p.NAME} on ${p.NODE} has an address from the node's pod CIDR`);
    }
    const d = await rows(['deployment', 'my-nginx']);
    assert.deepEqual(d.map((r) => [r.NAME, r.READY, r['UP-TO-DATE'], r.AVAILABLE]), [['my-nginx', '2/2', '2', '2']]);
  });

  it('a NodePort Service answers HTTP on 127.0.1.1 and 127.0.1.2; a nodePort outside 30000-32767 is rejected', async () => {
    await apply({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'my-nginx' },
      spec: { type: 'NodePort', selector: { app: 'my-nginx' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
    });
    const svc = JSON.parse(await kc(['get', 'service', 'my-nginx', '-o', 'json']));
    const nodePort = Number(svc.spec.ports[0].nodePort);
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `allocated nodePort ${nodePort}`);
    const row = (await rows(['service', 'my-nginx']))[0];
    assert.equal(row.TYPE, 'NodePort');
    assert.equal(row['PORT(S)'], `80:${nodePort}/TCP`);
    for (const ip of Object.values(NODE_IP)) {
      const res = await waitFor(`HTTP on ${ip}:${nodePort}`, () => httpGet(ip, nodePort).catch(() => undefined), 30_000);
      assert.equal(res.status, 200);
      assert.equal(res.body, NGINX_INDEX);
    }
    const detail = 'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767';
    const badManifest = yaml({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad-port' },
      spec: { type: 'NodePort', selector: { app: 'my-nginx' }, ports: [{ port: 80, nodePort: 80 }] },
    });
    for (const verb of ['apply', 'create']) {
      // kubectl builds an Invalid error's text from details.kind, details.name and the causes.
      const bad = await kubectl(k, [verb, '-f', '-'], { stdin: badManifest });
      assert.deepEqual([bad.code, bad.stdout, bad.stderr], [1, '', `The Service "bad-port" is invalid: ${detail}\n`], `kubectl ${verb}`);
    }
    // `kubectl create service` wraps the server's message (create_service.go: "failed to create %s service: %v").
    const bad = await kubectl(k, ['create', 'service', 'nodeport', 'bad-port', '--tcp=80:80', '--node-port=80']);
    assert.deepEqual([bad.code, bad.stdout, bad.stderr], [1, '', `error: failed to create NodePort service: Service "bad-port" is invalid: ${detail}\n`]);
    assert.equal((await kubectl(k, ['get', 'service', 'bad-port'])).stderr, 'Error from server (NotFound): services "bad-port" not found\n');
  });

  it('the ClusterIP and the names my-nginx, my-nginx.default, my-nginx.default.svc.cluster.local answer from pods on both nodes', async () => {
    const clusterIP = (await rows(['service', 'my-nginx']))[0]['CLUSTER-IP'];
    assert.match(clusterIP, /^10\.43\.\d+\.\d+$/);
    for (const pod of await podsOf('my-nginx')) {
      for (const host of [clusterIP, 'my-nginx', 'my-nginx.default', 'my-nginx.default.svc.cluster.local']) {
        const r = await waitFor(`wget http://${host} from ${pod.NAME} on ${pod.NODE}`, async () => {
          const res = await wgetFromPod(pod.NAME, `http://${host}`);
          return res.code === 0 ? res : undefined;
        }, 30_000).catch(async (e: Error) => {
          const last = await wgetFromPod(pod.NAME, `http://${host}`);
          throw new Error(`${e.message}; last try exited ${last.code}: ${last.stderr.trim()}`);
        });
        assert.equal(r.stdout, NGINX_INDEX, `from ${pod.NAME} on ${pod.NODE} to ${host}`);
      }
    }
  });

  it('scaling to 4 runs 4 pods over both nodes, and back to 2 leaves 2', async () => {
    assert.equal(await kc(['scale', 'deployment', 'my-nginx', '--replicas=4']), 'deployment.apps/my-nginx scaled\n');
    const four = await runningPods('my-nginx', 4);
    assert.deepEqual([...new Set(four.map((p) => p.NODE))].sort(), ['node01', 'node02']);
    assert.equal((await rows(['deployment', 'my-nginx']))[0].READY, '4/4');
    assert.equal(await kc(['scale', 'deployment', 'my-nginx', '--replicas=2']), 'deployment.apps/my-nginx scaled\n');
    const two = await runningPods('my-nginx', 2);
    assert.ok(two.every((p) => four.some((f) => f.NAME === p.NAME)), 'scaling down keeps two of the four pods');
    assert.equal((await rows(['deployment', 'my-nginx']))[0].READY, '2/2');
  });

  it('kubectl set image rolls out (rollout status succeeds) and rollout undo returns to the first image', async () => {
    const podImages = async (): Promise<string[]> => {
      const list = JSON.parse(await kc(['get', 'pods', '-l', 'app=my-nginx', '-o', 'json']));
      return list.items.map((p: any) => p.spec.containers[0].image);
    };
    const templateImage = async (): Promise<string> => JSON.parse(await kc(['get', 'deployment', 'my-nginx', '-o', 'json'])).spec.template.spec.containers[0].image;

    assert.equal(await kc(['set', 'image', 'deployment/my-nginx', `nginx=${V2}`]), 'deployment.apps/my-nginx image updated\n');
    assert.equal(await rolloutStatus('my-nginx'), 'deployment "my-nginx" successfully rolled out');
    await runningPods('my-nginx', 2);
    assert.deepEqual(await podImages(), [V2, V2]);
    const rs = await rows(['replicasets', '-l', 'app=my-nginx']);
    assert.equal(rs.length, 2, JSON.stringify(rs));
    assert.deepEqual(rs.map((r) => [r.DESIRED, r.CURRENT, r.READY]).sort(), [['0', '0', '0'], ['2', '2', '2']]);

    assert.equal(await kc(['rollout', 'undo', 'deployment/my-nginx']), 'deployment.apps/my-nginx rolled back\n');
    assert.equal(await rolloutStatus('my-nginx'), 'deployment "my-nginx" successfully rolled out');
    assert.equal(await templateImage(), V1);
    await runningPods('my-nginx', 2);
    assert.deepEqual(await podImages(), [V1, V1]);
    assert.equal((await rows(['replicasets', '-l', 'app=my-nginx'])).length, 2, 'undo reuses the first ReplicaSet');
  });

  it('deleting the Deployment removes its ReplicaSets and pods', async () => {
    assert.equal(await kc(['delete', 'deployment', 'my-nginx']), 'deployment.apps "my-nginx" deleted\n');
    await waitFor('ReplicaSets and pods gone', async () => {
      const rs = await kubectl(k, ['get', 'replicasets,pods', '-l', 'app=my-nginx']);
      return rs.code === 0 && rs.stdout === '' && rs.stderr === 'No resources found in default namespace.\n' ? true : undefined;
    });
  });

  it('deleting a namespace empties it, then removes it', async () => {
    assert.equal(await kc(['create', 'namespace', 'scratch']), 'namespace/scratch created\n');
    await kc(['create', 'configmap', 'settings', '-n', 'scratch', '--from-literal=a=b']);
    await apply(deployment('web', V1, 2), 'scratch');
    // The pull secret is per namespace, as upstream's imagePullSecrets are.
    await kc(['get', 'secret', 'hub-cred', '-o', 'json']).then((s) => {
      const o = JSON.parse(s);
      return apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hub-cred' }, type: o.type, data: o.data }, 'scratch');
    });
    await waitFor('2 web pods Running in scratch', async () => {
      const p = await rows(['pods', '-n', 'scratch', '-l', 'app=web']);
      return p.length === 2 && p.every((r) => r.STATUS === 'Running') ? true : undefined;
    }, 180_000);
    assert.equal(await kc(['delete', 'namespace', 'scratch', '--timeout=120s'], { timeoutMs: 150_000 }), 'namespace "scratch" deleted\n');
    const gone = await kubectl(k, ['get', 'namespace', 'scratch']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'Error from server (NotFound): namespaces "scratch" not found\n');
    const left = await kubectl(k, ['get', 'all,configmaps,secrets', '-n', 'scratch']);
    assert.equal(left.code, 0, left.stderr);
    assert.equal(left.stdout, '');
    assert.equal(left.stderr, 'No resources found in scratch namespace.\n');
  });

  it('a frozen node turns NotReady and its pods are replaced on the other node', async () => {
    assert.equal(await apply(deployment('failover', V1, 2)), 'deployment.apps/failover created\n');
    const before = await runningPods('failover', 2);
    assert.deepEqual(before.map((p) => p.NODE).sort(), ['node01', 'node02']);
    const victim = before.find((p) => p.NODE === 'node02')!;
    const survivor = before.find((p) => p.NODE === 'node01')!;
    const pid = Number(readFileSync(join(up.dataDir, 'agents', 'node02', 'berth.pid'), 'utf8').trim());
    assert.ok(pid > 0, 'node02 agent PID');
    process.kill(pid, 'SIGSTOP');
    try {
      // The agent's last heartbeat (status or Lease renewal) is at most one renew interval old;
      // the node lifecycle controller marks it Unknown after the grace period, checked every
      // monitor period. Twice that, for a loaded machine.
      const notReadyMs = 2 * (NODE_LEASE_RENEW_INTERVAL_MS + NODE_MONITOR_GRACE_PERIOD_MS + NODE_MONITOR_PERIOD_MS);
      await waitFor('node02 NotReady', async () => {
        const n = await rows(['nodes']);
        return n.find((r) => r.NAME === 'node02')?.STATUS === 'NotReady' && n.find((r) => r.NAME === 'node01')?.STATUS === 'Ready' ? true : undefined;
      }, notReadyMs);
      const node = JSON.parse(await kc(['get', 'node', 'node02', '-o', 'json']));
      const ready = node.status.conditions.find((c: any) => c.type === 'Ready');
      assert.equal(ready.status, 'Unknown');
      assert.equal(ready.reason, 'NodeStatusUnknown');
      assert.equal(ready.message, 'Kubelet stopped posting node status.');
      const taints = await waitFor('unreachable taints on node02', async () => {
        const n = JSON.parse(await kc(['get', 'node', 'node02', '-o', 'json']));
        const t = (n.spec.taints ?? []).filter((x: any) => x.key === 'node.kubernetes.io/unreachable').map((x: any) => x.effect).sort();
        return t.length === 2 ? t : undefined;
      }, 30_000);
      assert.deepEqual(taints, ['NoExecute', 'NoSchedule']);

      const after = await waitFor('2 failover pods Running on node01, the node02 pod Terminating', async () => {
        const p = await podsOf('failover');
        const running = p.filter((r) => r.STATUS === 'Running' && r.READY === '1/1' && r.NODE === 'node01');
        const old = p.find((r) => r.NAME === victim.NAME);
        return running.length === 2 && old?.STATUS === 'Terminating' ? p : undefined;
      }, 180_000);
      assert.ok(after.some((p) => p.NAME === survivor.NAME), 'the pod on node01 stays');
      const ev = JSON.parse(await kc(['get', 'events', '--field-selector', `involvedObject.name=${victim.NAME}`, '-o', 'json']));
      assert.ok(ev.items.some((e: any) => e.reason === 'TaintManagerEviction' && e.message === `Marking for deletion Pod default/${victim.NAME}`), JSON.stringify(ev.items.map((e: any) => [e.reason, e.message])));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('node02 Ready again after SIGCONT', async () => ((await rows(['nodes'])).find((r) => r.NAME === 'node02')?.STATUS === 'Ready' ? true : undefined), 90_000);
    // Back, node02's kubelet finishes the evicted pod's deletion; the replacements stay on node01.
    const settled = await runningPods('failover', 2, 90_000);
    assert.ok(settled.every((p) => p.NODE === 'node01' && p.NAME !== victim.NAME), JSON.stringify(settled));
  });
});
