// bench/controlplane: a 1,000-pod Deployment on 10 simulated nodes, from the create to every pod
// Running, with the scheduler's binding rate. The controllers and the scheduler are the ones
// `berth server` runs beside its API server; the simulated nodes run in this process. The floor, in the same run against the same
// server, is the raw API: the same number of pods created directly (already bound to a node no
// one simulates, so nothing else touches them) with the same request concurrency the
// controllers use. Run: `node --import tsx bench/controlplane/run.ts [--pods 1000] [--nodes 10] [--runs 3]`.
// See bench/README.md. Loopback only; the server is stopped by PID and its temp dirs removed.
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createClient, loadKubeconfig, RESOURCES, type ApiObject, type Client } from '../../src/client/index.js';
import { silentLogger } from '../../src/common/log.js';
import { startSimulatedNode, type SimulatedNode } from '../../src/simnode/index.js';
import { startBerthServer } from '../../test/helpers/berth-server.js';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '1000' },
    nodes: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node --import tsx bench/controlplane/run.ts [--pods 1000] [--nodes 10] [--runs 3]\n');
  process.exit(0);
}
const PODS = Number(values.pods);
const NODES = Number(values.nodes);
const RUNS = Number(values.runs);
/** Requests in flight for the raw floor: the scheduler's bind concurrency. */
const FLOOR_CONCURRENCY = 32;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

interface RunFigures { totalS: number; bindRate: number; floorS: number; floorRate: number }

/** Watches pods of `ns` and resolves when `count` are Running; records when each was first seen bound. */
function watchRollout(client: Client, ns: string, count: number): { done: Promise<void>; boundAt: number[]; stop(): void } {
  const ac = new AbortController();
  const bound = new Map<string, number>();
  const runningPods = new Set<string>();
  const boundAt: number[] = [];
  const done = (async () => {
    let rv = (await client.list(RESOURCES.pods, ns, { limit: 1 })).metadata.resourceVersion;
    for (;;) {
      for await (const ev of client.watch(RESOURCES.pods, ns, { resourceVersion: rv, signal: ac.signal, timeoutSeconds: 600 })) {
        const p = ev.object as ApiObject;
        rv = p.metadata.resourceVersion ?? rv;
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
        const name = String(p.metadata.name);
        if (p.spec?.nodeName && !bound.has(name)) {
          const t = performance.now();
          bound.set(name, t);
          boundAt.push(t);
        }
        if (p.status?.phase === 'Running') runningPods.add(name);
        if (runningPods.size >= count) return;
      }
      if (ac.signal.aborted) return;
    }
  })();
  return { done, boundAt, stop: () => ac.abort() };
}

async function runOnce(client: Client, run: number): Promise<RunFigures> {
  const ns = `bench-${run}`;
  await client.create(RESOURCES.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const w = watchRollout(client, ns, PODS);
  const t0 = performance.now();
  await client.create(RESOURCES.deployments, ns, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'scale' },
    spec: {
      replicas: PODS, selector: { matchLabels: { app: 'scale' } },
      template: { metadata: { labels: { app: 'scale' } }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
    },
  });
  await w.done;
  const totalS = (performance.now() - t0) / 1000;
  w.stop();
  const b = w.boundAt;
  const bindRate = b.length > 1 ? (b.length - 1) / ((b[b.length - 1] - b[0]) / 1000) : NaN;

  // Floor: the same number of pods straight through the API, bound at creation to a node name
  // nothing simulates (the scheduler skips bound pods; no simulated node watches that name).
  const floorNs = `floor-${run}`;
  await client.create(RESOURCES.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: floorNs } });
  let next = 0;
  const f0 = performance.now();
  await Promise.all(Array.from({ length: FLOOR_CONCURRENCY }, async () => {
    while (next < PODS) {
      const i = next++;
      await client.create(RESOURCES.pods, floorNs, {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `raw-${i}`, labels: { app: 'raw' } },
        spec: { nodeName: 'nobody', containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      });
    }
  }));
  const floorS = (performance.now() - f0) / 1000;
  await client.delete(RESOURCES.namespaces, '', ns);
  await client.delete(RESOURCES.namespaces, '', floorNs);
  return { totalS, bindRate, floorS, floorRate: PODS / floorS };
}

async function main(): Promise<void> {
  const server = await startBerthServer();
  const client = createClient(loadKubeconfig(server.kubeconfig));
  const nodes: SimulatedNode[] = [];
  try {
    for (let i = 1; i <= NODES; i++) nodes.push(await startSimulatedNode({ client, name: `sim${String(i).padStart(2, '0')}`, log: silentLogger }));
    // The server's controllers and scheduler hold their Leases once they run.
    const deadline = Date.now() + 60_000;
    for (const name of ['berth-controller-manager', 'berth-scheduler']) {
      while (!(await client.get(RESOURCES.leases, 'kube-system', name).catch(() => undefined))?.spec?.holderIdentity) {
        if (Date.now() > deadline) throw new Error(`no holder for kube-system/${name}: does berth server run the controllers and scheduler?`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const figures: RunFigures[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const f = await runOnce(client, run);
      figures.push(f);
      console.log(`run ${run}: ${PODS} pods Running in ${f.totalS.toFixed(2)} s, binding ${f.bindRate.toFixed(0)} pods/s; raw API creates ${f.floorS.toFixed(2)} s (${f.floorRate.toFixed(0)} pods/s)`);
    }
    const total = median(figures.map((f) => f.totalS));
    const bind = median(figures.map((f) => f.bindRate));
    const floorS = median(figures.map((f) => f.floorS));
    const floorRate = median(figures.map((f) => f.floorRate));
    console.log('');
    console.log(`| row (median of ${RUNS}) | berth | floor: raw API creates | ratio |`);
    console.log('| --- | --- | --- | --- |');
    console.log(`| ${PODS}-pod Deployment on ${NODES} simulated nodes, create to all Running | ${total.toFixed(2)} s | ${floorS.toFixed(2)} s | ${(total / floorS).toFixed(2)}x the time |`);
    console.log(`| scheduler binding rate | ${bind.toFixed(0)} pods/s | ${floorRate.toFixed(0)} pods/s | ${(bind / floorRate).toFixed(2)} |`);
    console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    for (const n of nodes) await n.stop();
    client.close();
    await server.stop();
  }
}

await main();
