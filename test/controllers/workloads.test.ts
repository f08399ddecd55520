// Controllers, scheduler and simulated nodes against a real `berth server`, driven by the real
// kubectl (issue 5's walkthrough without containers): a Deployment spreads over two nodes,
// scales, rolls out and back, is deleted with its ReplicaSets and pods; a namespace empties;
// a stopped node goes Unknown and its pods move; a server restart creates no duplicate pods.
// The controllers and the scheduler are the ones `berth server` runs (startControllers and
// startScheduler beside its API server, with upstream's default timings); the simulated
// nodes run in this process, as kwok runs beside a cluster.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, loadKubeconfig, RESOURCES, type ApiObject, type Client } from '../../src/client/index.js';
import { silentLogger } from '../../src/common/log.js';
import { startSimulatedNode, type SimulatedNode } from '../../src/simnode/index.js';
import { startBerthServer, type BerthServer } from '../helpers/berth-server.js';
import { describeEvents, kubectl, kubectlMissing, type KubectlTarget } from '../helpers/kubectl.js';
import { poll } from '../helpers/poll.js';

const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> => poll(what, fn, ms, 150);

function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas, progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx' }], ...extra } },
    },
  });
}

const skip = kubectlMissing();

/** An object's annotations. */
const ann = (o: ApiObject): Record<string, string> => (o.metadata.annotations ?? {}) as Record<string, string>;

describe('controllers and scheduler on simulated nodes', { skip, concurrency: false }, () => {
  let server: BerthServer;
  let client: Client;
  let target: KubectlTarget;
  const nodes = new Map<string, SimulatedNode>();

  const startNode = async (name: string): Promise<void> => {
    nodes.set(name, await startSimulatedNode({ client, name, log: silentLogger, leaseRenewIntervalMs: 500, statusIntervalMs: 500 }));
  };
  const pods = async (selector: string, ns = 'default'): Promise<ApiObject[]> =>
    (await client.list(RESOURCES.pods, ns, { labelSelector: selector })).items;
  const running = (ps: ApiObject[]): ApiObject[] => ps.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
  const k = async (...args: string[]) => kubectl(target, args);

  before(async () => {
    server = await startBerthServer();
    client = createClient(loadKubeconfig(server.kubeconfig));
    target = { kubeconfig: server.kubeconfig, home: server.home };
    await startNode('node01');
    await startNode('node02');
  });

  after(async () => {
    for (const n of nodes.values()) await n.stop();
    client?.close();
    await server?.stop();
  });

  test('a Deployment of 2 replicas lands one pod on each node, with upstream events', async () => {
    const r = await kubectl(target, ['apply', '-f', '-'], { stdin: deployment('web', 2) });
    assert.equal(r.code, 0, r.stderr);
    const ps = await waitFor('2 running web pods', async () => {
      const p = running(await pods('app=web'));
      return p.length === 2 ? p : undefined;
    });
    assert.deepEqual(ps.map((p) => p.spec.nodeName).sort(), ['node01', 'node02']);
    const rsList = (await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=web' })).items;
    assert.equal(rsList.length, 1);
    const rs = rsList[0];
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(ann(rs)['deployment.kubernetes.io/revision'], '1');
    for (const p of ps) assert.match(String(p.metadata.name), new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));

    const events = await waitFor('deployment and replicaset events', async () => {
      const ev = (await client.list(RESOURCES.events, 'default')).items;
      const scaled = ev.find((e) => e.reason === 'ScalingReplicaSet' && e.involvedObject.name === 'web');
      const created = ev.filter((e) => e.reason === 'SuccessfulCreate' && e.involvedObject.name === rs.metadata.name);
      const scheduled = ev.filter((e) => e.reason === 'Scheduled');
      return scaled && created.length === 2 && scheduled.length >= 2 ? { scaled, created, scheduled } : undefined;
    });
    assert.equal(events.scaled.message, `Scaled up replica set ${rs.metadata.name} from 0 to 2`);
    assert.equal(events.scaled.source.component, 'deployment-controller');
    assert.deepEqual(events.created.map((e) => e.message).sort(), ps.map((p) => `Created pod: ${p.metadata.name}`).sort());
    for (const p of ps) {
      assert.ok(events.scheduled.some((e) => e.involvedObject.name === p.metadata.name && e.message === `Successfully assigned default/${p.metadata.name} to ${p.spec.nodeName}`));
    }

    // What `kubectl describe` shows under Events for the Deployment, the ReplicaSet and a pod.
    const described = async (kind: string, name: string): Promise<string[][]> => {
      const d = await k('describe', kind, name);
      assert.equal(d.code, 0, d.stderr);
      const t = describeEvents(d.stdout);
      assert.ok(t && t !== 'none', `${kind} ${name} has events:\n${d.stdout}`);
      return t.rows.map((r) => [r[0], r[1], r[3], r[4]]);
    };
    assert.deepEqual(await described('deployment', 'web'), [['Normal', 'ScalingReplicaSet', 'deployment-controller', `Scaled up replica set ${rs.metadata.name} from 0 to 2`]]);
    assert.deepEqual((await described('replicaset', String(rs.metadata.name))).map((r) => r.slice(0, 3)), [['Normal', 'SuccessfulCreate', 'replicaset-controller'], ['Normal', 'SuccessfulCreate', 'replicaset-controller']]);
    assert.deepEqual(await described('pod', String(ps[0].metadata.name)), [['Normal', 'Scheduled', 'default-scheduler', `Successfully assigned default/${ps[0].metadata.name} to ${ps[0].spec.nodeName}`]]);

    const status = await waitFor('rollout complete', async () => {
      const s = await k('rollout', 'status', 'deployment/web', '--timeout=20s');
      return s.code === 0 ? s.stdout : undefined;
    });
    assert.equal(status, 'deployment "web" successfully rolled out\n');
  });

  test('Endpoints and EndpointSlices list the ready pods of a Service', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
    assert.equal((await kubectl(target, ['apply', '-f', '-'], { stdin: JSON.stringify(svc) })).code, 0);
    const ips = running(await pods('app=web')).map((p) => p.status.podIP).sort();
    const ep = await waitFor('endpoints with both pods', async () => {
      const e = await client.get(RESOURCES.endpoints, 'default', 'web').catch(() => undefined);
      return e?.subsets?.[0]?.addresses?.length === 2 ? e : undefined;
    });
    assert.deepEqual(ep.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort(), ips);
    assert.deepEqual(ep.subsets[0].ports, [{ port: 8080, protocol: 'TCP' }]);
    const slice = await waitFor('an endpointslice with both pods', async () => {
      const l = (await client.list(RESOURCES.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=web' })).items;
      return l.length === 1 && l[0].endpoints?.length === 2 ? l[0] : undefined;
    });
    assert.deepEqual(slice.endpoints.map((e: { addresses: string[] }) => e.addresses[0]).sort(), ips);
    assert.ok(slice.endpoints.every((e: { conditions: { ready: boolean } }) => e.conditions.ready));
    assert.equal((await k('delete', 'service', 'web')).code, 0);
  });

  test('kubectl scale to 4 spreads 2 per node, and back to 2 deletes 2 pods', async () => {
    assert.equal((await k('scale', 'deployment/web', '--replicas=4')).code, 0);
    const four = await waitFor('4 running pods', async () => {
      const p = running(await pods('app=web'));
      return p.length === 4 ? p : undefined;
    });
    assert.deepEqual(four.map((p) => p.spec.nodeName).sort(), ['node01', 'node01', 'node02', 'node02']);
    assert.equal((await k('scale', 'deployment/web', '--replicas=2')).code, 0);
    await waitFor('2 pods left', async () => ((await pods('app=web')).length === 2 ? true : undefined));
    const deleted = await waitFor('SuccessfulDelete events', async () => {
      const ev = (await client.list(RESOURCES.events, 'default')).items.filter((e) => e.reason === 'SuccessfulDelete');
      return ev.length === 2 ? ev : undefined;
    });
    for (const e of deleted) assert.match(e.message, /^Deleted pod: web-[a-z0-9]+-[a-z0-9]{5}$/);
  });

  test('kubectl set image rolls out, rollout status succeeds, rollout undo returns', async () => {
    const first = (await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=web' })).items[0];
    assert.equal((await k('set', 'image', 'deployment/web', 'web=nginx:1.25')).code, 0);
    const s = await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /deployment "web" successfully rolled out\n$/);
    const rss = (await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=web' })).items;
    assert.equal(rss.length, 2);
    const second = rss.find((rs) => rs.metadata.name !== first.metadata.name) as ApiObject;
    assert.equal(ann(second)['deployment.kubernetes.io/revision'], '2');
    assert.equal(second.spec.template.spec.containers[0].image, 'nginx:1.25');
    const ps = running(await pods('app=web'));
    assert.ok(ps.every((p) => p.spec.containers[0].image === 'nginx:1.25'));

    const undo = await k('rollout', 'undo', 'deployment/web');
    assert.equal(undo.code, 0, undo.stderr);
    assert.equal(undo.stdout, 'deployment.apps/web rolled back\n');
    const s2 = await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.equal(s2.code, 0, s2.stderr);
    const back = await client.get(RESOURCES.replicasets, 'default', String(first.metadata.name));
    assert.equal((await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=web' })).items.length, 2, 'undo reuses the first ReplicaSet');
    assert.equal(ann(back)['deployment.kubernetes.io/revision'], '3');
    assert.equal(ann(back)['deployment.kubernetes.io/revision-history'], '1');
    const d = await client.get(RESOURCES.deployments, 'default', 'web');
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx');
    assert.equal(ann(d)['deployment.kubernetes.io/revision'], '3');
    const history = await k('rollout', 'history', 'deployment/web');
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/m);
  });

  test('a pod no node fits gets FailedScheduling with upstream text', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nowhere' }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'nginx' }] } };
    assert.equal((await kubectl(target, ['apply', '-f', '-'], { stdin: JSON.stringify(pod) })).code, 0);
    const ev = await waitFor('FailedScheduling', async () => (await client.list(RESOURCES.events, 'default')).items.find((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'nowhere'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..");
    const p = await client.get(RESOURCES.pods, 'default', 'nowhere');
    assert.equal(p.spec.nodeName, undefined);
    assert.equal((await k('delete', 'pod', 'nowhere', '--wait=false')).code, 0);
  });

  test('deleting the Deployment removes its ReplicaSets and pods', async () => {
    assert.equal((await k('delete', 'deployment', 'web')).code, 0);
    await waitFor('no web ReplicaSets and pods', async () => {
      const rs = (await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=web' })).items;
      const p = await pods('app=web');
      return rs.length === 0 && p.length === 0 ? true : undefined;
    });
    const got = await k('get', 'rs,pods', '-l', 'app=web');
    assert.equal(got.code, 0);
    assert.equal(got.stderr, 'No resources found in default namespace.\n');
  });

  test('deleting a namespace empties it, then removes it', async () => {
    assert.equal((await k('create', 'namespace', 'doomed')).code, 0);
    assert.equal((await kubectl(target, ['apply', '-n', 'doomed', '-f', '-'], { stdin: deployment('app', 2) })).code, 0);
    await waitFor('2 running pods in doomed', async () => (running(await pods('app=app', 'doomed')).length === 2 ? true : undefined));
    const sa = await client.get(RESOURCES.serviceaccounts, 'doomed', 'default');
    assert.equal(sa.metadata.name, 'default');
    assert.equal((await k('delete', 'namespace', 'doomed', '--timeout=60s')).code, 0);
    const got = await k('get', 'namespace', 'doomed');
    assert.equal(got.code, 1);
    assert.equal(got.stderr, 'Error from server (NotFound): namespaces "doomed" not found\n');
    assert.equal((await client.list(RESOURCES.pods, 'doomed')).items.length, 0);
  });

  test('a stopped node goes Unknown, is tainted, and its pods are replaced on the other node', async () => {
    const tolerations = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
    ];
    assert.equal((await kubectl(target, ['apply', '-f', '-'], { stdin: deployment('sturdy', 2, { tolerations }) })).code, 0);
    const before = await waitFor('2 running sturdy pods', async () => {
      const p = running(await pods('app=sturdy'));
      return p.length === 2 ? p : undefined;
    });
    const victim = before.find((p) => p.spec.nodeName === 'node02') as ApiObject;
    assert.ok(victim, 'one pod on node02');
    await nodes.get('node02')?.stop();
    nodes.delete('node02');

    // Upstream's node-monitor-grace-period (50 s in 1.32) plus one 5 s monitor period.
    const node = await waitFor('node02 Unknown and tainted', async () => {
      const n = await client.get(RESOURCES.nodes, '', 'node02');
      const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
      return ready.status === 'Unknown' && (n.spec.taints ?? []).length === 2 ? n : undefined;
    }, 90_000);
    const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    assert.deepEqual(node.spec.taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`).sort(),
      ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const nodesOut = await k('get', 'node', 'node02');
    assert.match(nodesOut.stdout, /^node02\s+NotReady\s/m);

    const moved = await waitFor('2 running sturdy pods on node01', async () => {
      const p = running(await pods('app=sturdy'));
      return p.length === 2 && p.every((x) => x.spec.nodeName === 'node01') ? p : undefined;
    });
    assert.ok(!moved.some((p) => p.metadata.uid === victim.metadata.uid));
    const evicted = await client.get(RESOURCES.pods, 'default', String(victim.metadata.name));
    assert.ok(evicted.metadata.deletionTimestamp, 'the pod on the lost node is terminating');
    assert.ok(evicted.status.conditions.some((c: { type: string; reason: string }) => c.type === 'DisruptionTarget' && c.reason === 'DeletionByTaintManager'));
    const ev = (await client.list(RESOURCES.events, 'default')).items.find((e) => e.reason === 'TaintManagerEviction' && e.involvedObject.name === victim.metadata.name);
    assert.equal(ev?.message, `Marking for deletion Pod default/${victim.metadata.name}`);

    await startNode('node02');
    await waitFor('node02 Ready again', async () => {
      const n = await client.get(RESOURCES.nodes, '', 'node02');
      const r = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
      return r.status === 'True' && !(n.spec.taints ?? []).length ? true : undefined;
    });
  });

  test('a server restart (kill -9) creates no duplicate pods, and the restarted controllers act', async () => {
    const beforeNames = running(await pods('app=sturdy')).map((p) => p.metadata.name).sort();
    await server.kill9();
    await server.restart();
    // Scaling up by one proves the restarted controllers (after the old Lease expired) have
    // synced their caches and act; the old pods must all still be there, and no extra ones.
    assert.equal((await k('scale', 'deployment/sturdy', '--replicas=3')).code, 0);
    const after3 = await waitFor('3 running sturdy pods', async () => {
      const p = running(await pods('app=sturdy'));
      return p.length === 3 ? p : undefined;
    }, 60_000);
    const names = after3.map((p) => p.metadata.name);
    for (const n of beforeNames) assert.ok(names.includes(n), `pod ${n} survived the restart`);
    const all = (await pods('app=sturdy')).filter((p) => !p.metadata.deletionTimestamp);
    assert.equal(all.length, 3);
    const rs = (await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=sturdy' })).items;
    assert.equal(rs.length, 1, 'no second ReplicaSet');
  });

  test('--cascade=orphan keeps the ReplicaSet and pods; --cascade=foreground removes pods before the owner', async () => {
    assert.equal((await k('delete', 'deployment', 'sturdy', '--cascade=orphan')).code, 0);
    const orphan = await waitFor('an orphaned ReplicaSet', async () => {
      const d = await client.get(RESOURCES.deployments, 'default', 'sturdy').catch(() => undefined);
      const rs = (await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=sturdy' })).items;
      return !d && rs.length === 1 && !(rs[0].metadata.ownerReferences as unknown[] | undefined)?.length ? rs[0] : undefined;
    });
    assert.equal(running(await pods('app=sturdy')).length, 3, 'the pods keep running');
    const del = await k('delete', 'replicaset', String(orphan.metadata.name), '--cascade=foreground');
    assert.equal(del.code, 0, del.stderr);
    // kubectl waits for the owner to go; with foreground propagation that happens only after its pods went.
    assert.equal((await pods('app=sturdy')).length, 0);
    assert.equal((await client.list(RESOURCES.replicasets, 'default', { labelSelector: 'app=sturdy' })).items.length, 0);
  });
});
