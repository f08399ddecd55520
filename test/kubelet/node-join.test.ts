// Issue 4 item 3 against a real `berth server` child process: an agent joins with the node token
// (k3s's design: the token pins the CA's sha256), gets a system:node:<name> client certificate,
// a kubelet serving certificate and a pod CIDR; the node agent registers the Node as the upstream
// 1.32 kubelet does, heartbeats through its Lease and status, and a restart updates the same Node.
// The runtime is FakeRuntime (no containerd here); kubectl is the real one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerthServer, type BerthServer } from '../helpers/berth-server.js';
import { describeEvents, kubectl, kubectlMissing, parseTable, FRESH_AGE } from '../helpers/kubectl.js';
import { createClient, RESOURCES, type ApiObject, type Client } from '../../src/client/index.js';
import { createEventRecorder } from '../../src/client/events.js';
import { hashCaPem } from '../../src/common/ca.js';
import { silentLogger } from '../../src/common/log.js';
import { joinCluster, JoinError, pkiDir } from '../../src/kubelet/join/index.js';
import { startNodeAgent, type NodeAgent } from '../../src/kubelet/node/index.js';
import { FakeRuntime, type RuntimeCondition } from '../../src/kubelet/runtime/index.js';
import { poll } from '../helpers/poll.js';

const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> => poll(what, fn, ms);

/** A FakeRuntime whose CRI Status answer the test sets. */
class SwitchableRuntime extends FakeRuntime {
  conditions: RuntimeCondition[] = [
    { type: 'RuntimeReady', status: true, reason: '', message: '' },
    { type: 'NetworkReady', status: true, reason: '', message: '' },
  ];
  override async status(): Promise<RuntimeCondition[]> {
    await super.status();
    return this.conditions.map((c) => ({ ...c }));
  }
}

interface Answer { status: number; body: string; json: any }

/** One HTTPS request to the server; `ca` undefined means no verification (only for /cacerts checks). */
function raw(url: string, method: string, path: string, opts: { ca?: string; headers?: Record<string, string>; body?: unknown; cert?: string; key?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: u.hostname, port: u.port, method, path, agent: false,
      ca: opts.ca, rejectUnauthorized: opts.ca !== undefined, cert: opts.cert, key: opts.key,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}


const FAST = { statusUpdateIntervalMs: 200, leaseRenewIntervalMs: 200 };

describe('node join and node lifecycle against berth server', { timeout: 240_000 }, () => {
  let server: BerthServer;
  let token: string;
  let caPem: string;
  let admin: Client;
  const dirs: string[] = [];
  const agents: NodeAgent[] = [];
  const clients: Client[] = [];

  const agentDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'berth-node-join-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    server = await startBerthServer();
    token = (await readFile(join(server.dataDir, 'node-token'), 'utf8')).trim();
    caPem = await readFile(join(server.dataDir, 'tls', 'ca.crt'), 'utf8');
    const auth = server.api.auth;
    admin = createClient({ server: server.url, caPem, certPem: auth.cert, keyPem: auth.key });
    clients.push(admin);
  });

  after(async () => {
    for (const a of agents) await a.stop();
    for (const c of clients) c.close();
    await server?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('GET /cacerts serves, without credentials, the CA whose sha256 the token pins', async () => {
    const ans = await raw(server.url, 'GET', '/cacerts');
    assert.equal(ans.status, 200);
    assert.equal(ans.body, caPem);
    assert.match(token, /^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);
    assert.equal(token.slice(3, 67), hashCaPem(ans.body));
  });

  it('joins with the token file: system:node:<name> credentials that read the API, cached 0600', async () => {
    const dataDir = await agentDir();
    const joined = await joinCluster({ server: server.url, token: `${token}\n`, nodeName: 'join-a', addresses: ['127.0.1.9'], dataDir });
    assert.equal(joined.reused, false);
    assert.match(joined.podCIDR, /^10\.42\.\d{1,3}\.0\/24$/);
    assert.equal(joined.caPem, caPem);
    const clientCert = new X509Certificate(joined.clientConfig.certPem as string);
    assert.equal(clientCert.subject, 'CN=system:node:join-a\nO=system:nodes');
    const serving = new X509Certificate(joined.serving.certPem);
    assert.ok(serving.checkIP('127.0.1.9'), 'serving cert covers the node address');
    assert.ok(serving.checkHost('join-a'), 'serving cert covers the node name');
    assert.ok(serving.verify(new X509Certificate(caPem).publicKey), 'serving cert signed by the cluster CA');

    const c = createClient(joined.clientConfig);
    clients.push(c);
    const list = await c.list(RESOURCES.nodes, '');
    assert.ok(Array.isArray(list.items), 'GET /api/v1/nodes as system:node:join-a answers a list');

    for (const f of ['ca.crt', 'client-kubelet.crt', 'client-kubelet.key', 'serving-kubelet.crt', 'serving-kubelet.key', 'join.json']) {
      assert.equal((await stat(join(pkiDir(dataDir), f))).mode & 0o777, 0o600, f);
    }
    const again = await joinCluster({ server: server.url, token, nodeName: 'join-a', addresses: ['127.0.1.9'], dataDir });
    assert.equal(again.reused, true, 'a restart reuses the cached credentials');
    assert.equal(again.podCIDR, joined.podCIDR);
    const otherAddress = await joinCluster({ server: server.url, token, nodeName: 'join-a', addresses: ['127.0.1.10'], dataDir });
    assert.equal(otherAddress.reused, false, 'a serving cert that misses an address is re-issued');
    assert.equal(otherAddress.podCIDR, joined.podCIDR);
  });

  it('refuses anything but the node token with a 401 Status', async () => {
    const body = { nodeName: 'join-x', addresses: ['127.0.1.20'] };
    const auth = server.api.auth;
    const cases: Array<{ name: string; headers?: Record<string, string>; cert?: string; key?: string }> = [
      { name: 'no credentials' },
      { name: 'wrong secret', headers: { authorization: `Bearer ${token.replace(/::server:.*/, '::server:00000000000000000000000000000000')}` } },
      { name: 'basic auth', headers: { authorization: `Basic ${Buffer.from(`node:${token}`).toString('base64')}` } },
      { name: 'the admin client certificate', cert: auth.cert, key: auth.key },
    ];
    for (const tc of cases) {
      const ans = await raw(server.url, 'POST', '/v1-berth/node-credentials', { ca: caPem, headers: tc.headers, cert: tc.cert, key: tc.key, body });
      assert.equal(ans.status, 401, tc.name);
      assert.deepEqual(ans.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }, tc.name);
    }
    await assert.rejects(
      joinCluster({ server: server.url, token: token.replace(/::server:.*/, '::server:bad'), nodeName: 'join-x', addresses: [], dataDir: await agentDir() }),
      (e: unknown) => e instanceof JoinError && e.code === 'Unauthorized' && e.message === `the server ${server.url} rejected the node token (401 Unauthorized)`,
    );
  });

  it('rejects an invalid node name with a 422 Status', async () => {
    const ans = await raw(server.url, 'POST', '/v1-berth/node-credentials', { ca: caPem, headers: { authorization: `Bearer ${token}` }, body: { nodeName: 'Bad_Name', addresses: [] } });
    assert.equal(ans.status, 422);
    assert.equal(ans.json.reason, 'Invalid');
    assert.match(ans.json.message, /^NodeCredentialsRequest "Bad_Name" is invalid: nodeName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
  });

  it('a bare secret joins only with a CA the caller trusts', async () => {
    const secret = token.split('::server:')[1];
    const joined = await joinCluster({ server: server.url, token: secret, caPem, nodeName: 'join-bare', addresses: [], dataDir: await agentDir() });
    assert.equal(new X509Certificate(joined.clientConfig.certPem as string).subject, 'CN=system:node:join-bare\nO=system:nodes');
    await assert.rejects(
      joinCluster({ server: server.url, token: secret, nodeName: 'join-bare', addresses: [], dataDir: await agentDir() }),
      (e: unknown) => e instanceof JoinError && e.code === 'InvalidToken'
        && e.message === 'the node token has no CA hash (K10<hash>::...): use the full token from the server\'s node-token file, or give the cluster CA to trust',
    );
  });

  it('a tampered CA hash fails with one line naming the expected and the actual hash', async () => {
    const actual = hashCaPem(caPem);
    const forged = actual.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const dataDir = await agentDir();
    await assert.rejects(
      joinCluster({ server: server.url, token: `K10${forged}${token.slice(67)}`, nodeName: 'join-y', addresses: [], dataDir }),
      (e: unknown) => e instanceof JoinError && e.code === 'CAHashMismatch'
        && e.message === `the server's CA certificate does not match the node token: token expects sha256 ${forged}, server ${server.url} serves sha256 ${actual}`,
    );
    await assert.rejects(stat(pkiDir(dataDir)), { code: 'ENOENT' }, 'nothing is cached after a refused join');
  });

  it('two joins at once get distinct pod CIDRs; a rejoin from a fresh data dir keeps its CIDR', async () => {
    const [a, b] = await Promise.all([
      joinCluster({ server: server.url, token, nodeName: 'par-a', addresses: ['127.0.1.30'], dataDir: await agentDir() }),
      joinCluster({ server: server.url, token, nodeName: 'par-b', addresses: ['127.0.1.31'], dataDir: await agentDir() }),
    ]);
    assert.notEqual(a.podCIDR, b.podCIDR);
    const again = await joinCluster({ server: server.url, token, nodeName: 'par-a', addresses: ['127.0.1.30'], dataDir: await agentDir() });
    assert.equal(again.reused, false);
    assert.equal(again.podCIDR, a.podCIDR);
  });

  it('registers the Node as the 1.32 kubelet does, renews its Lease, and kubectl shows it Ready', async (t) => {
    const name = 'node-reg';
    const dataDir = await agentDir();
    const joined = await joinCluster({ server: server.url, token, nodeName: name, addresses: ['127.0.1.40'], dataDir, preferredPodCIDR: '10.42.200.0/24' });
    assert.equal(joined.podCIDR, '10.42.200.0/24', 'a free preferred CIDR is granted');
    const client = createClient(joined.clientConfig);
    clients.push(client);
    const runtime = new SwitchableRuntime();
    runtime.addImage('docker.io/library/nginx:1.14', 5000);
    runtime.addImage('docker.io/library/busybox:1', 3000);
    const agent = await startNodeAgent({
      client, nodeName: name, addresses: [{ type: 'InternalIP', address: '127.0.1.40' }, { type: 'Hostname', address: name }],
      kubeletPort: 10250, podCIDR: joined.podCIDR, runtime, log: silentLogger, rootDir: dataDir, ...FAST,
    });
    agents.push(agent);
    assert.equal(agent.ready(), true);

    const node = await admin.get(RESOURCES.nodes, '', name);
    const version = await raw(server.url, 'GET', '/version', { ca: caPem });
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    assert.deepEqual(node.metadata.labels, {
      'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch,
      'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': arch,
    });
    assert.equal((node.metadata.annotations as Record<string, string>)['volumes.kubernetes.io/controller-managed-attach-detach'], 'true');
    assert.deepEqual(node.spec, { podCIDR: '10.42.200.0/24', podCIDRs: ['10.42.200.0/24'] }, 'no taints: the kubelet registers without node.kubernetes.io/not-ready');
    const st = node.status;
    assert.deepEqual(Object.keys(st.capacity).sort(), ['cpu', 'ephemeral-storage', 'hugepages-1Gi', 'hugepages-2Mi', 'memory', 'pods']);
    assert.equal(st.capacity.pods, '110');
    assert.equal(st.capacity['hugepages-2Mi'], '0');
    assert.match(st.capacity.memory, /^\d+(Ki|Mi|Gi)?$/);
    assert.equal(st.allocatable.cpu, st.capacity.cpu);
    assert.notEqual(st.allocatable.memory, st.capacity.memory, 'allocatable memory leaves the 100Mi eviction threshold');
    assert.equal(st.nodeInfo.containerRuntimeVersion, 'fake://0.0.0');
    assert.equal(st.nodeInfo.kubeletVersion, version.json.gitVersion);
    assert.equal(st.nodeInfo.kubeProxyVersion, version.json.gitVersion);
    assert.equal(st.nodeInfo.operatingSystem, 'linux');
    assert.equal(st.nodeInfo.architecture, arch);
    assert.equal(st.nodeInfo.machineID, (await readFile('/etc/machine-id', 'utf8')).trim());
    assert.equal(st.nodeInfo.bootID, (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
    assert.deepEqual(st.addresses, [{ type: 'InternalIP', address: '127.0.1.40' }, { type: 'Hostname', address: name }]);
    assert.deepEqual(st.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.deepEqual(st.images.map((i: { names: string[]; sizeBytes: number }) => [i.names.at(-1), i.sizeBytes]), [['docker.io/library/nginx:1.14', 5000], ['docker.io/library/busybox:1', 3000]]);
    assert.deepEqual(st.conditions.map((c: Record<string, string>) => [c.type, c.status, c.reason, c.message]), [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ]);

    const lease = await admin.get(RESOURCES.leases, 'kube-node-lease', name);
    assert.equal(lease.spec.holderIdentity, name);
    assert.equal(lease.spec.leaseDurationSeconds, 40);
    assert.match(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }]);
    const renewed = await until('a lease renewal', async () => {
      const l = await admin.get(RESOURCES.leases, 'kube-node-lease', name);
      return l.spec.renewTime !== lease.spec.renewTime ? l : undefined;
    });
    assert.ok(Date.parse(renewed.spec.renewTime) > Date.parse(lease.spec.renewTime));

    const missing = kubectlMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const target = { kubeconfig: server.kubeconfig, home: server.home };
    const out = await kubectl(target, ['get', 'nodes', name]);
    assert.equal(out.code, 0, out.stderr);
    const table = parseTable(out.stdout);
    assert.deepEqual(table.headers, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    assert.deepEqual([table.rows[0][0], table.rows[0][1], table.rows[0][2], table.rows[0][4]], [name, 'Ready', '<none>', version.json.gitVersion]);
    assert.match(table.rows[0][3], FRESH_AGE);
    const wide = await kubectl(target, ['get', 'nodes', name, '-o', 'wide']);
    const wt = parseTable(wide.stdout);
    assert.deepEqual(wt.headers, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    assert.deepEqual([wt.rows[0][5], wt.rows[0][6], wt.rows[0][9]], ['127.0.1.40', '<none>', 'fake://0.0.0']);
  });

  it('reports NotReady with upstream\'s message while the runtime network is down, and NodeReady events', async () => {
    const name = 'node-flip';
    const joined = await joinCluster({ server: server.url, token, nodeName: name, addresses: ['127.0.1.50'], dataDir: await agentDir() });
    const client = createClient(joined.clientConfig);
    clients.push(client);
    const runtime = new SwitchableRuntime();
    runtime.conditions[1] = { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni plugin not initialized' };
    const recorder = createEventRecorder(client, { component: 'kubelet', host: name });
    const agent = await startNodeAgent({
      client, nodeName: name, addresses: [{ type: 'InternalIP', address: '127.0.1.50' }], kubeletPort: 10250,
      podCIDR: joined.podCIDR, runtime, log: silentLogger, recorder, ...FAST,
    });
    agents.push(agent);
    assert.equal(agent.ready(), false);
    const notReady = (await admin.get(RESOURCES.nodes, '', name)).status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.deepEqual([notReady.status, notReady.reason, notReady.message], [
      'False', 'KubeletNotReady',
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    ]);

    runtime.conditions[1] = { type: 'NetworkReady', status: true, reason: '', message: '' };
    const ready = await until('Ready=True', async () => {
      const n = await admin.get(RESOURCES.nodes, '', name);
      const c = n.status.conditions.find((x: { type: string }) => x.type === 'Ready');
      return c.status === 'True' ? c : undefined;
    });
    assert.equal(ready.reason, 'KubeletReady');
    assert.ok(Date.parse(ready.lastTransitionTime) >= Date.parse(notReady.lastTransitionTime));
    // The agent learns the write succeeded when the answer arrives, possibly after the GET above.
    await until('agent.ready()', async () => (agent.ready() ? true : undefined));
    await recorder.flush();
    const events = await admin.list<ApiObject>(RESOURCES.events, 'default', { fieldSelector: `involvedObject.name=${name}` });
    const seen = events.items.map((e) => [e.reason, e.message]).sort();
    assert.deepEqual(seen, [
      ['NodeHasNoDiskPressure', `Node ${name} status is now: NodeHasNoDiskPressure`],
      ['NodeHasSufficientMemory', `Node ${name} status is now: NodeHasSufficientMemory`],
      ['NodeHasSufficientPID', `Node ${name} status is now: NodeHasSufficientPID`],
      ['NodeReady', `Node ${name} status is now: NodeReady`],
    ]);
    if (kubectlMissing()) return;
    // kubectl describe node looks the events up with involvedObject.uid = the node's name, as the kubelet writes it.
    const d = await kubectl({ kubeconfig: server.kubeconfig, home: server.home }, ['describe', 'node', name]);
    assert.equal(d.code, 0, d.stderr);
    const ev = describeEvents(d.stdout);
    assert.ok(ev && ev !== 'none', d.stdout);
    assert.deepEqual(ev.headers, ['Type', 'Reason', 'Age', 'From', 'Message']);
    assert.deepEqual(ev.rows.find((r) => r[1] === 'NodeReady')?.filter((_, i) => i !== 2), ['Normal', 'NodeReady', 'kubelet', `Node ${name} status is now: NodeReady`]);
  });

  it('a restarted agent updates its Node and Lease instead of duplicating them', async () => {
    const name = 'node-restart';
    const dataDir = await agentDir();
    const opts = { server: server.url, token, nodeName: name, addresses: ['127.0.1.60'], dataDir };
    const first = await joinCluster(opts);
    const c1 = createClient(first.clientConfig);
    clients.push(c1);
    const runtime = new SwitchableRuntime();
    const agent1 = await startNodeAgent({ client: c1, nodeName: name, addresses: [{ type: 'InternalIP', address: '127.0.1.60' }], kubeletPort: 10250, podCIDR: first.podCIDR, runtime, log: silentLogger, ...FAST });
    const before = await admin.get(RESOURCES.nodes, '', name);
    await agent1.stop();

    const second = await joinCluster(opts);
    assert.equal(second.reused, true);
    const c2 = createClient(second.clientConfig);
    clients.push(c2);
    runtime.addImage('docker.io/library/nginx:1.14', 7000);
    const agent2 = await startNodeAgent({ client: c2, nodeName: name, addresses: [{ type: 'InternalIP', address: '127.0.1.61' }], kubeletPort: 10251, podCIDR: second.podCIDR, runtime, log: silentLogger, ...FAST });
    agents.push(agent2);
    const nodes = await admin.list(RESOURCES.nodes, '', { fieldSelector: `metadata.name=${name}` });
    assert.equal(nodes.items.length, 1);
    const after = nodes.items[0];
    assert.equal(after.metadata.uid, before.metadata.uid, 'the same Node object');
    assert.deepEqual(after.status.addresses, [{ type: 'InternalIP', address: '127.0.1.61' }], 'status rewritten by the new agent');
    assert.deepEqual(after.status.daemonEndpoints, { kubeletEndpoint: { Port: 10251 } });
    assert.deepEqual(after.status.images.map((i: { names: string[] }) => i.names.at(-1)), ['docker.io/library/nginx:1.14']);
    const readyBefore = before.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    const readyAfter = after.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.equal(readyAfter.status, 'True');
    assert.equal(readyAfter.lastTransitionTime, readyBefore.lastTransitionTime, 'Ready stayed True: its transition time is kept');
    const leases = await admin.list(RESOURCES.leases, 'kube-node-lease', { fieldSelector: `metadata.name=${name}` });
    assert.equal(leases.items.length, 1);
    assert.deepEqual(leases.items[0].metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name, uid: before.metadata.uid }]);
  });
});
