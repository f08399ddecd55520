// The service proxy against the kernel: Services and EndpointSlices in a real `berth server`,
// "pods" as network namespaces on the bridge bertht6, our chains under the prefix BT6, service
// addresses in 10.43.246.0/24 and the node address 127.0.246.1 (contracts: P6's test ranges).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, loadKubeconfig, type Client } from '../../src/client/index.js';
import { cleanupProxy, startProxy, type Proxy } from '../../src/proxy/index.js';
import { cleanupDns, startDns } from '../../src/dns/index.js';
import { startBerthServer, type BerthServer } from '../helpers/berth-server.js';
import { createPodNetwork, netnsMissing, sh, sweep, type NetnsPod, type PodNetwork } from './netns-pods.js';

const PREFIX = 'BT6';
const CLUSTER_CIDR = '10.42.246.0/24';
const SERVICE_CIDR = '10.43.246.0/24';
const NODE_IP = '127.0.246.1';
const CLUSTER_IP = '10.43.246.20';
const NODE_PORT = 32646;
const POD_NAMES = ['pa', 'pb', 'pc'];
const DNS_IP = '10.43.246.10';

const missing = await netnsMissing();
let server: BerthServer | undefined;
let client: Client | undefined;
let net: PodNetwork | undefined;
let proxy: Proxy | undefined;
let pods: Record<string, NetnsPod> = {};

/** One HTTP GET with a fresh connection: the body, or the socket error's code. */
function get(host: string, port: number): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

async function natRules(): Promise<string> {
  return (await sh('iptables-save', ['-t', 'nat'])).stdout.split('\n').filter((l) => l.includes(`${PREFIX}-`)).join('\n');
}

/** Polls `check` until it holds; fails unless it held within `ms`; returns the milliseconds it took. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const took = Date.now() - start;
  assert.ok(took <= ms, `${what}: took ${took} ms (limit ${ms} ms)`);
  return took;
}

const slicePath = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
function webSlice(readyB: boolean, readyA = true): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'web-test', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'bt6-test' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.42.246.2'], conditions: { ready: readyA } },
      { addresses: ['10.42.246.3'], conditions: { ready: readyB } },
    ],
  };
}

async function putSlice(body: Record<string, unknown>): Promise<void> {
  const cur = await server!.api.request('GET', `${slicePath}/web-test`);
  const meta = body.metadata as Record<string, unknown>;
  meta.resourceVersion = cur.json.metadata.resourceVersion;
  const r = await server!.api.request('PUT', `${slicePath}/web-test`, { body });
  assert.equal(r.status, 200, r.body);
}

before(async () => {
  if (missing) return;
  await cleanupProxy({ chainPrefix: PREFIX, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR });
  await sweep(POD_NAMES, true);
  server = await startBerthServer();
  client = createClient(loadKubeconfig(server.kubeconfig));
  net = createPodNetwork();
  await net.bridge();
  pods = {
    a: await net.podOnBridge('pa', '10.42.246.2'),
    b: await net.podOnBridge('pb', '10.42.246.3'),
    c: await net.podOnBridge('pc', '10.42.246.4'),
  };
  await pods.a.serveHttp(8080, 'pod-a');
  await pods.b.serveHttp(8080, 'pod-b');
  const svc = await server.api.request('POST', '/api/v1/namespaces/default/services', {
    body: {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
      spec: { type: 'NodePort', clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT }] },
    },
  });
  assert.equal(svc.status, 201, svc.body);
  const slice = await server.api.request('POST', slicePath, { body: webSlice(true) });
  assert.equal(slice.status, 201, slice.body);
  proxy = await startProxy({
    client, chainPrefix: PREFIX, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR, nodeIPs: [NODE_IP],
  });
});

after(async () => {
  if (missing) return;
  await proxy?.stop();
  client?.close();
  await cleanupProxy({ chainPrefix: PREFIX, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR });
  await cleanupDns({ listen: [{ host: DNS_IP, port: 53 }] });
  await net?.teardown();
  await server?.stop();
});

test('a ClusterIP answers from the host', { skip: missing }, async () => {
  const r = await get(CLUSTER_IP, 80);
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.match(r.body ?? '', /^pod-[ab]$/);
});

test('a ClusterIP answers from a pod on the bridge (endpoint on the same bridge)', { skip: missing }, async () => {
  const [r] = await pods.c.httpGet(`http://${CLUSTER_IP}/`);
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.match(r.body ?? '', /^pod-[ab]$/);
});

test('a pod reaches itself through its own Service (hairpin masquerade)', { skip: missing }, async () => {
  // The bridge ports hairpin (as CNI's hairpinMode sets them) and the SEP chain marks traffic from
  // the endpoint itself for masquerade, so pod-a's answer to itself returns through the host.
  const answers = await pods.a.httpGet(`http://${CLUSTER_IP}/`, 16);
  assert.deepEqual([...new Set(answers.map((r) => r.body ?? r.error))].sort(), ['pod-a', 'pod-b'], JSON.stringify(answers));
});

test('a NodePort answers on the loopback node address', { skip: missing }, async () => {
  const r = await get(NODE_IP, NODE_PORT);
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.match(r.body ?? '', /^pod-[ab]$/);
});

test('connections are balanced over both ready endpoints', { skip: missing }, async () => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < 40; i++) {
    const r = await get(CLUSTER_IP, 80);
    counts[r.body ?? r.error ?? '?'] = (counts[r.body ?? r.error ?? '?'] ?? 0) + 1;
  }
  assert.deepEqual(Object.keys(counts).sort(), ['pod-a', 'pod-b'], JSON.stringify(counts));
});

test('an endpoint turning not-ready leaves the rules within a second', { skip: missing }, async (t) => {
  await putSlice(webSlice(false));
  const ms = await within(1000, 'pod-b DNAT rule removed', async () => !(await natRules()).includes('--to-destination 10.42.246.3:8080'));
  t.diagnostic(`EndpointSlice update to rules without pod-b: ${ms} ms`);
  for (let i = 0; i < 20; i++) assert.equal((await get(CLUSTER_IP, 80)).body, 'pod-a');
  for (let i = 0; i < 5; i++) assert.equal((await get(NODE_IP, NODE_PORT)).body, 'pod-a');
});

test('a service without ready endpoints rejects (connection refused) on ClusterIP and NodePort', { skip: missing }, async () => {
  await putSlice(webSlice(false, false));
  await within(1000, 'DNAT rules removed', async () => !(await natRules()).includes('DNAT'));
  assert.deepEqual(await get(CLUSTER_IP, 80), { error: 'ECONNREFUSED' });
  assert.deepEqual(await get(NODE_IP, NODE_PORT), { error: 'ECONNREFUSED' });
  assert.deepEqual(await pods.c.httpGet(`http://${CLUSTER_IP}/`), [{ error: 'ECONNREFUSED' }]);
  await putSlice(webSlice(true));
  await within(1000, 'endpoints back', async () => (await natRules()).includes('--to-destination 10.42.246.3:8080'));
  assert.equal((await get(CLUSTER_IP, 80)).status, 200);
});

test('an address in the service CIDR that no Service owns is refused by the host, from the host and from a pod', { skip: missing }, async () => {
  assert.deepEqual(await get('10.43.246.99', 80), { error: 'ECONNREFUSED' });
  assert.deepEqual(await pods.c.httpGet('http://10.43.246.99/'), [{ error: 'ECONNREFUSED' }]);
});

test('a pod reaches the Service by its DNS name, with the cluster DNS inside the service CIDR', { skip: missing }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bt6-proxy-dns-'));
  const dns = await startDns({ client: client!, listen: [{ host: DNS_IP, port: 53 }] });
  try {
    await writeFile(join(dir, 'resolv.conf'), `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${DNS_IP}\noptions ndots:5\n`);
    pods.c.resolvConf = join(dir, 'resolv.conf');
    await dns.synced();
    const r4 = new Resolver({ timeout: 1000, tries: 1 });
    r4.setServers([DNS_IP]);
    await within(5000, 'cluster DNS answers', async () => !!(await r4.resolve4('web.default.svc.cluster.local').catch(() => undefined)));
    const g = await pods.c.exec('getent', ['ahostsv4', 'web']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, new RegExp(`^${CLUSTER_IP.replace(/\./g, '\\.')}\\s+STREAM web\\.default\\.svc\\.cluster\\.local$`, 'm'));
    const [r] = await pods.c.httpGet('http://web/');
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.match(r.body ?? '', /^pod-[ab]$/);
  } finally {
    pods.c.resolvConf = undefined;
    await dns.stop();
    await cleanupDns({ listen: [{ host: DNS_IP, port: 53 }] });
    await rm(dir, { recursive: true, force: true });
  }
});

test('deleting the Service removes its rules; its ClusterIP then refuses', { skip: missing }, async () => {
  const del = await server!.api.request('DELETE', '/api/v1/namespaces/default/services/web');
  assert.equal(del.status, 200, del.body);
  await within(1000, 'service chains removed', async () => !/BT6-(SVC|SEP|EXT)-/.test(await natRules()));
  assert.deepEqual(await get(CLUSTER_IP, 80), { error: 'ECONNREFUSED' });
});

test('cleanupProxy removes every chain, jump and route it created', { skip: missing }, async () => {
  await proxy!.stop();
  await cleanupProxy({ chainPrefix: PREFIX, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR });
  for (const table of ['nat', 'filter']) {
    const out = (await sh('iptables-save', ['-t', table])).stdout;
    assert.ok(!out.includes(`${PREFIX}-`), `${table} still mentions ${PREFIX}-:\n${out}`);
  }
  const routes = (await sh('ip', ['route', 'show', 'table', 'all'])).stdout;
  assert.ok(!routes.includes(SERVICE_CIDR) && !routes.includes(CLUSTER_CIDR), routes);
});
