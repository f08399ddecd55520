// Cluster DNS against real clients: busybox's nslookup inside a "pod" (a network namespace with a
// resolv.conf as the kubelet writes it) and node's c-ares resolver on the host, with Services and
// EndpointSlices in a real `berth server`. The DNS address is 10.43.246.10 (P6's test range).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { createClient, loadKubeconfig, type Client } from '../../src/client/index.js';
import { cleanupDns, startDns, type Dns } from '../../src/dns/index.js';
import { startBerthServer, type BerthServer } from '../helpers/berth-server.js';
import { createPodNetwork, netnsMissing, sh, sweep, type NetnsPod, type PodNetwork } from '../proxy/netns-pods.js';

const DNS_IP = '10.43.246.10';
const SVC_IP = '10.43.246.30';
const POD_IP = '10.42.246.194';

const missing = await netnsMissing();
let server: BerthServer | undefined;
let client: Client | undefined;
let net: PodNetwork | undefined;
let pod: NetnsPod | undefined;
let dns: Dns | undefined;
let dir = '';
let resolvConf = '';
const resolver = new Resolver({ timeout: 2000, tries: 1 });

async function create(path: string, body: unknown): Promise<void> {
  const r = await server!.api.request('POST', path, { body });
  assert.equal(r.status, 201, r.body);
}

/** Runs `cmd` inside the pod (whose resolv.conf is bind-mounted over /etc/resolv.conf). */
async function inPod(cmd: string): Promise<{ code: number; out: string }> {
  const r = await pod!.exec('sh', ['-c', cmd]);
  return { code: r.code, out: r.stdout + r.stderr };
}

/**
 * busybox nslookup asks every search-list expansion at once and prints each answer; the
 * addresses listed under `Name: <fqdn>`.
 */
function nslookupAddresses(out: string, fqdn: string): string[] {
  const got: string[] = [];
  let current = '';
  for (const line of out.split('\n')) {
    const name = /^Name:\s+(\S+)/.exec(line);
    if (name) { current = name[1]; continue; }
    const addr = /^Address:\s+(\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (addr && current === fqdn) got.push(addr[1]);
  }
  return got.sort();
}

before(async () => {
  if (missing) return;
  await cleanupDns({ listen: [{ host: DNS_IP, port: 53 }] });
  await sweep(['dn'], false);
  server = await startBerthServer();
  client = createClient(loadKubeconfig(server.kubeconfig));
  net = createPodNetwork();
  pod = await net.podOnVeth('dn', '10.42.246.193', POD_IP);
  dir = await mkdtemp(join(tmpdir(), 'bt6-dns-'));
  resolvConf = join(dir, 'resolv.conf');
  // What the kubelet writes for a ClusterFirst pod in namespace default (ndots:5).
  await writeFile(resolvConf, `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${DNS_IP}\noptions ndots:5\n`);
  pod.resolvConf = resolvConf;
  await create('/api/v1/namespaces/default/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'my-svc' },
    spec: { clusterIP: SVC_IP, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  await create('/api/v1/namespaces/default/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'my-headless' },
    spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
  });
  await create('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'my-headless-x', labels: { 'kubernetes.io/service-name': 'my-headless' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.42.246.2'], conditions: { ready: true } },
      { addresses: ['10.42.246.3'], conditions: { ready: true } },
      { addresses: ['10.42.246.9'], conditions: { ready: false } },
    ],
  });
  dns = await startDns({ client, listen: [{ host: DNS_IP, port: 53 }], domain: 'cluster.local' });
  await dns.synced();
  resolver.setServers([DNS_IP]);
  // Answering from the host proves the address is up and the caches loaded.
  const deadline = Date.now() + 10_000;
  while (!(await resolver.resolve4('my-svc.default.svc.cluster.local').catch(() => undefined))) {
    if (Date.now() > deadline) throw new Error(`cluster DNS at ${DNS_IP} did not answer within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  if (missing) return;
  try {
    await dns?.stop();
    await cleanupDns({ listen: [{ host: DNS_IP, port: 53 }] });
  } finally {
    client?.close();
    await net?.teardown();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
});

test('a pod resolves a Service by short, namespaced and full name through its search list (glibc getent)', { skip: missing }, async () => {
  for (const name of ['my-svc', 'my-svc.default', 'my-svc.default.svc.cluster.local']) {
    const r = await inPod(`getent ahostsv4 ${name}`);
    assert.equal(r.code, 0, `${name}: ${r.out}`);
    assert.match(r.out, new RegExp(`^${SVC_IP.replace(/\./g, '\\.')}\\s+STREAM my-svc\\.default\\.svc\\.cluster\\.local$`, 'm'), `${name}: ${r.out}`);
  }
});

test('busybox nslookup in a pod finds the Service under its full name', { skip: missing }, async () => {
  const r = await inPod('busybox nslookup my-svc');
  assert.deepEqual(nslookupAddresses(r.out, 'my-svc.default.svc.cluster.local'), [SVC_IP], r.out);
});

test('a headless Service resolves to its ready pod addresses only', { skip: missing }, async () => {
  const r = await inPod('busybox nslookup my-headless');
  assert.deepEqual(nslookupAddresses(r.out, 'my-headless.default.svc.cluster.local'), ['10.42.246.2', '10.42.246.3'], r.out);
  const g = await inPod('getent ahostsv4 my-headless');
  assert.equal(g.code, 0, g.out);
  assert.deepEqual([...new Set(g.out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]))].sort(), ['10.42.246.2', '10.42.246.3'], g.out);
});

test('an unknown name in the cluster domain is NXDOMAIN', { skip: missing }, async () => {
  const r = await inPod('busybox nslookup nope.default.svc.cluster.local');
  assert.match(r.out, /server can't find nope\.default\.svc\.cluster\.local: NXDOMAIN/, r.out);
  assert.equal((await inPod('getent ahostsv4 nope')).code, 2, 'getent: key not found');
  await assert.rejects(resolver.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
});

test('SRV, PTR and pod records from the host (c-ares)', { skip: missing }, async () => {
  assert.deepEqual(await resolver.resolveSrv('_http._tcp.my-svc.default.svc.cluster.local'),
    [{ name: 'my-svc.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
  assert.deepEqual(await resolver.reverse(SVC_IP), ['my-svc.default.svc.cluster.local']);
  assert.deepEqual(await resolver.resolve4(`${POD_IP.replace(/\./g, '-')}.default.pod.cluster.local`), [POD_IP]);
  const ttl = await resolver.resolve4('my-svc.default.svc.cluster.local', { ttl: true });
  assert.deepEqual(ttl, [{ address: SVC_IP, ttl: 5 }]);
});

test('names outside the cluster domain are REFUSED when no upstream is configured', { skip: missing }, async () => {
  await assert.rejects(resolver.resolve4('example.com'), { code: 'EREFUSED' });
});

test('queries over TCP are answered with length-prefixed messages', { skip: missing }, async () => {
  const sock = connect(53, DNS_IP);
  const reply = await new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
    });
    sock.write(dnsPacket.streamEncode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'my-svc.default.svc.cluster.local' }] }));
  });
  sock.destroy();
  assert.equal(reply.id, 7);
  assert.equal(reply.flag_aa, true);
  assert.deepEqual(reply.answers?.map((a) => [a.name, a.type, (a as { data?: unknown }).data]), [['my-svc.default.svc.cluster.local', 'A', SVC_IP]]);
});

test('a Service created after start resolves within a second', { skip: missing }, async () => {
  await create('/api/v1/namespaces/default/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'late' }, spec: { clusterIP: '10.43.246.31', ports: [{ port: 80 }] },
  });
  const start = Date.now();
  for (;;) {
    const got = await resolver.resolve4('late.default.svc.cluster.local').catch(() => []);
    if (got.length) { assert.deepEqual(got, ['10.43.246.31']); break; }
    assert.ok(Date.now() - start < 1000, 'late.default.svc.cluster.local did not resolve within 1 s');
    await new Promise((r) => setTimeout(r, 20));
  }
});

test('with an upstream, outside names are forwarded to it (a fake upstream on loopback)', { skip: missing }, async () => {
  const upstream = createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    upstream.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions,
      answers: [{ type: 'A', name: q.questions![0].name, ttl: 60, data: '192.0.2.55' }] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  const fwd = await startDns({ client: client!, listen: [{ host: '127.0.0.1', port: 0 }], upstream: [`127.0.0.1:${upstream.address().port}`] });
  try {
    await fwd.synced();
    const r = new Resolver({ timeout: 3000, tries: 1 });
    r.setServers([`127.0.0.1:${fwd.addresses[0].port}`]);
    assert.deepEqual(await r.resolve4('example.com'), ['192.0.2.55']);
    assert.deepEqual(await r.resolve4('my-svc.default.svc.cluster.local'), [SVC_IP]);
  } finally {
    await fwd.stop();
    upstream.close();
  }
});

test('an answer too big for UDP is truncated and the client gets it whole over TCP', { skip: missing }, async () => {
  const ips = Array.from({ length: 120 }, (_, i) => `10.42.${100 + Math.floor(i / 100)}.${(i % 100) + 1}`);
  await create('/api/v1/namespaces/default/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
  });
  await create('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'big-x', labels: { 'kubernetes.io/service-name': 'big' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  });
  // Raw UDP without EDNS: at most 512 bytes, so the header and question only, TC set.
  const udp = createSocket('udp4');
  const reply = await new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP answer')), 3000);
    udp.on('message', (m) => {
      const p = dnsPacket.decode(m);
      if ((p.answers ?? []).length === 0 && !p.flag_tc) return; // caches not updated yet: ask again below
      clearTimeout(timer);
      resolve(p);
    });
    const ask = (): void => { udp.send(dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'big.default.svc.cluster.local' }] }), 53, DNS_IP); };
    ask();
    const again = setInterval(ask, 200);
    timer.unref();
    udp.once('close', () => clearInterval(again));
  });
  udp.close();
  assert.equal(reply.flag_tc, true);
  assert.deepEqual(reply.answers, []);
  // c-ares retries over TCP on TC and returns every address.
  const got = await resolver.resolve4('big.default.svc.cluster.local');
  assert.deepEqual(got.sort(), [...ips].sort());
});

test('cleanupDns takes the DNS address off lo', { skip: missing }, async () => {
  assert.match((await sh('ip', ['-4', 'addr', 'show', 'dev', 'lo'])).stdout, new RegExp(`${DNS_IP.replace(/\./g, '\\.')}/32`));
  await dns!.stop();
  await cleanupDns({ listen: [{ host: DNS_IP, port: 53 }] });
  assert.doesNotMatch((await sh('ip', ['-4', 'addr', 'show', 'dev', 'lo'])).stdout, new RegExp(`${DNS_IP.replace(/\./g, '\\.')}/`));
});
