// bench/service: HTTP throughput through a NodePort (berth's proxy: iptables DNAT + masquerade
// on a loopback node address) against the same pod addressed directly, in one run, with the same
// client. The pod is a network namespace on the bridge bertht6 running a small node HTTP server;
// the Service and EndpointSlice live in a real `berth server`. Needs root. Everything created is
// removed at the end (chains BT6-*, bridge, namespace, routes, server).
//
//   node --import tsx bench/service/run.ts [--seconds 5] [--rounds 3] [--concurrency 32]
import { request, Agent } from 'node:http';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { createClient, loadKubeconfig } from '../../src/client/index.js';
import { cleanupProxy, startProxy, type Proxy } from '../../src/proxy/index.js';
import { startBerthServer, type BerthServer } from '../../test/helpers/berth-server.js';
import { createPodNetwork, netnsMissing, sweep } from '../../test/proxy/netns-pods.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '32' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);

const PREFIX = 'BT6';
const CLUSTER_CIDR = '10.42.246.0/24';
const SERVICE_CIDR = '10.43.246.0/24';
const NODE_IP = '127.0.246.1';
const NODE_PORT = 32647;
const POD_IP = '10.42.246.2';

/** Requests per second against host:port for `seconds`, `CONCURRENCY` loops; keepAlive or a connection per request. */
async function measure(host: string, port: number, keepAlive: boolean, seconds: number): Promise<{ rps: number; errors: number }> {
  const agent = new Agent({ keepAlive, maxSockets: CONCURRENCY });
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const one = (): Promise<void> => new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) done++; else errors++; resolve(); });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end();
  });
  const start = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (Date.now() < deadline) await one(); }));
  const elapsed = (Date.now() - start) / 1000;
  agent.destroy();
  return { rps: done / elapsed, errors };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const missing = await netnsMissing();
  if (missing) {
    console.error(`bench/service: cannot run: ${missing}`);
    process.exit(2);
  }
  await cleanupProxy({ chainPrefix: PREFIX, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR });
  await sweep(['bench'], true);
  const net = createPodNetwork();
  let server: BerthServer | undefined;
  let proxy: Proxy | undefined;
  try {
    server = await startBerthServer();
    const client = createClient(loadKubeconfig(server.kubeconfig));
    await net.bridge();
    const pod = await net.podOnBridge('bench', POD_IP);
    await pod.serveHttp(8080, 'ok');
    const svc = await server.api.request('POST', '/api/v1/namespaces/default/services', {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bench' }, spec: { type: 'NodePort', clusterIP: '10.43.246.40', ports: [{ port: 80, targetPort: 8080, nodePort: NODE_PORT }] } },
    });
    if (svc.status !== 201) throw new Error(`creating the Service: ${svc.status} ${svc.body}`);
    const slice = await server.api.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      body: {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: { name: 'bench-x', labels: { 'kubernetes.io/service-name': 'bench' } },
        addressType: 'IPv4', ports: [{ port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: [POD_IP], conditions: { ready: true } }],
      },
    });
    if (slice.status !== 201) throw new Error(`creating the EndpointSlice: ${slice.status} ${slice.body}`);
    proxy = await startProxy({ client, chainPrefix: PREFIX, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR, nodeIPs: [NODE_IP] });

    console.log(`bench/service: ${ROUNDS} rounds of ${SECONDS}s per target, ${CONCURRENCY} concurrent requests, node http client on the host`);
    console.log('');
    console.log('| mode | pod IP direct req/s | NodePort req/s | ratio NodePort/direct | errors |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const keepAlive of [true, false]) {
      // Warm both paths (JIT, conntrack) before measuring; then alternate so drift hits both.
      await measure(POD_IP, 8080, keepAlive, 1);
      await measure(NODE_IP, NODE_PORT, keepAlive, 1);
      const direct: number[] = [];
      const viaNodePort: number[] = [];
      let errors = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const d = await measure(POD_IP, 8080, keepAlive, SECONDS);
        const n = await measure(NODE_IP, NODE_PORT, keepAlive, SECONDS);
        direct.push(d.rps);
        viaNodePort.push(n.rps);
        errors += d.errors + n.errors;
      }
      const md = median(direct);
      const mn = median(viaNodePort);
      console.log(`| ${keepAlive ? 'keep-alive' : 'connection per request'} | ${md.toFixed(0)} | ${mn.toFixed(0)} | ${(mn / md).toFixed(3)}${mn / md > 0.9 ? ' ok' : ' MISSED (goal > 0.9)'} | ${errors} |`);
    }
    console.log('');
    console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (on a shared 2-core machine, above 2 means both columns include waiting for a CPU)`);
    client.close();
  } finally {
    await proxy?.stop();
    await cleanupProxy({ chainPrefix: PREFIX, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR });
    await net.teardown();
    await server?.stop();
  }
}

await main();
