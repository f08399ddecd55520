// The node agent's timing against an in-memory API (a Client double that stores Nodes and Leases
// with resourceVersions) and a FakeClock: when status is written, when it is skipped, and the
// Lease's renewals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiStatusError, type ApiObject, type Client, type ResourceRef } from '../../client/index.js';
import { FakeClock } from '../../common/clock.js';
import { silentLogger } from '../../common/log.js';
import { FakeRuntime, type RuntimeCondition } from '../runtime/index.js';
import type { MachineInfo } from './machine.js';
import { startNodeAgent } from './node-agent.js';

const MACHINE: MachineInfo = {
  cpus: 2, memoryBytes: 2n ** 32n, ephemeralStorageBytes: 2n ** 34n, machineID: 'm', systemUUID: 'u', bootID: 'b',
  kernelVersion: 'k', osImage: 'o', operatingSystem: 'linux', architecture: 'amd64',
};

/** Stores objects by resource/namespace/name; counts writes per verb. */
class MemoryApi {
  readonly objects = new Map<string, ApiObject>();
  readonly writes: Array<{ verb: string; resource: string; name: string }> = [];
  /** GETs per resource. */
  readonly gets = new Map<string, number>();
  /** Failures the next creates answer with, first in first out. */
  readonly failCreates: ApiStatusError[] = [];
  private rv = 1;
  private uid = 1;

  private key(ref: ResourceRef, ns: string, name: string): string {
    return `${ref.resource}/${ns}/${name}`;
  }

  client(): Client {
    const notUsed = (): never => { throw new Error('not used by the node agent'); };
    const get = async <T extends ApiObject>(ref: ResourceRef, ns: string, name: string): Promise<T> => {
      this.gets.set(ref.resource, (this.gets.get(ref.resource) ?? 0) + 1);
      const o = this.objects.get(this.key(ref, ns, name));
      if (!o) throw new ApiStatusError(404, 'NotFound', `${ref.resource} "${name}" not found`);
      return structuredClone(o) as T;
    };
    const put = async <T extends ApiObject>(verb: string, ref: ResourceRef, obj: T): Promise<T> => {
      const k = this.key(ref, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
      const cur = this.objects.get(k);
      if (!cur) throw new ApiStatusError(404, 'NotFound', 'not found');
      if (obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw new ApiStatusError(409, 'Conflict', 'the object has been modified');
      const next = structuredClone(obj);
      next.metadata.resourceVersion = String(++this.rv);
      this.objects.set(k, next);
      this.writes.push({ verb, resource: ref.resource, name: String(obj.metadata.name) });
      return structuredClone(next);
    };
    return {
      config: { server: 'https://memory', caPem: '' },
      get,
      list: notUsed,
      create: async <T extends ApiObject>(ref: ResourceRef, ns: string, obj: T): Promise<T> => {
        const fail = this.failCreates.shift();
        if (fail) throw fail;
        const k = this.key(ref, ns, obj.metadata.name ?? '');
        if (this.objects.has(k)) throw new ApiStatusError(409, 'AlreadyExists', 'already exists');
        const next = structuredClone(obj);
        next.metadata.namespace = ns || undefined;
        next.metadata.uid = `uid-${this.uid++}`;
        next.metadata.resourceVersion = String(++this.rv);
        this.objects.set(k, next);
        this.writes.push({ verb: 'create', resource: ref.resource, name: String(obj.metadata.name) });
        return structuredClone(next);
      },
      update: (ref, obj) => put('update', ref, obj),
      updateStatus: (ref, obj) => put('updateStatus', ref, obj),
      patch: notUsed,
      delete: notUsed,
      watch: notUsed,
      request: notUsed,
      close: () => undefined,
    };
  }

  count(verb: string, resource: string): number {
    return this.writes.filter((w) => w.verb === verb && w.resource === resource).length;
  }
}

/**
 * Lets the agent's promise chains run until `done()` (each tick awaits several fake API calls,
 * all resolved without I/O), then a few more turns so that a write following the last call lands.
 */
async function settle(api: MemoryApi, done: () => boolean): Promise<void> {
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
  for (let i = 0; i < 1000 && !done(); i++) await turn();
  assert.ok(done(), `state not reached; writes: ${JSON.stringify(api.writes)}`);
  for (let i = 0; i < 5; i++) await turn();
}

/** Advances one 10 s interval and waits for both loops' ticks (a status GET and a lease update). */
async function tick(api: MemoryApi, clock: FakeClock): Promise<void> {
  const gets = api.gets.get('nodes') ?? 0;
  const leases = api.count('update', 'leases');
  clock.advance(10_000);
  await settle(api, () => (api.gets.get('nodes') ?? 0) > gets && api.count('update', 'leases') > leases);
}

test('status is written on change every interval, and unchanged only after the report frequency', async () => {
  const api = new MemoryApi();
  const clock = new FakeClock(Date.parse('2026-11-26T02:00:00Z'));
  const runtime = new FakeRuntime();
  const agent = await startNodeAgent({
    client: api.client(), nodeName: 'node01', addresses: [{ type: 'InternalIP', address: '127.0.1.1' }], kubeletPort: 10250,
    podCIDR: '10.42.1.0/24', runtime, log: silentLogger, clock, machineInfo: () => MACHINE,
  });
  assert.equal(api.count('create', 'nodes'), 1);
  assert.equal(api.count('create', 'leases'), 1);
  assert.equal(agent.ready(), true);

  await tick(api, clock);
  assert.equal(api.count('updateStatus', 'nodes'), 0, 'nothing changed: no status write at 10 s');

  runtime.addImage('docker.io/library/nginx:1.14');
  await tick(api, clock);
  assert.equal(api.count('updateStatus', 'nodes'), 1, 'a new image is written at the next interval');
  const node = api.objects.get('nodes//node01') as ApiObject;
  assert.deepEqual(node.status.images.map((i: { names: string[] }) => i.names.at(-1)), ['docker.io/library/nginx:1.14']);
  assert.equal(node.status.conditions.find((c: { type: string }) => c.type === 'Ready').lastHeartbeatTime, '2026-11-26T02:00:20Z');

  // Unchanged from here: the next write comes 5 minutes after the last one (02:05:20).
  const writtenAt: string[] = [];
  for (let i = 0; i < 31; i++) {
    const before = api.count('updateStatus', 'nodes');
    await tick(api, clock);
    if (api.count('updateStatus', 'nodes') > before) writtenAt.push(new Date(clock.now()).toISOString());
  }
  assert.deepEqual(writtenAt, ['2026-11-26T02:05:20.000Z'], 'the unchanged status is re-posted once, at the report frequency');
  const lease = api.objects.get('leases/kube-node-lease/node01') as ApiObject;
  assert.equal(lease.spec.renewTime, '2026-11-26T02:05:30.000000Z', 'renewed at the last tick');
  assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node01', uid: node.metadata.uid }]);
  await agent.stop();
  assert.equal(clock.pendingTimers(), 0, 'stop() leaves no timer behind');
});

test('registration retries with back-off, and an existing Node is reconciled instead of duplicated', async () => {
  const api = new MemoryApi();
  const clock = new FakeClock(Date.parse('2026-11-26T02:00:00Z'));
  // A Node left by an earlier run: a stale default label, no annotation, no pod CIDR, a user label.
  api.objects.set('nodes//node01', {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'node01', uid: 'uid-old', resourceVersion: '1', labels: { 'kubernetes.io/arch': 'arm64', team: 'a' } },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-11-26T01:00:00Z', lastTransitionTime: '2026-11-26T00:00:00Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
  });
  api.failCreates.push(new ApiStatusError(503, 'ServiceUnavailable', 'etcdserver: leader changed'));
  let started = false;
  const pending = startNodeAgent({
    client: api.client(), nodeName: 'node01', addresses: [{ type: 'InternalIP', address: '127.0.1.1' }], kubeletPort: 10250,
    podCIDR: '10.42.1.0/24', runtime: new FakeRuntime(), log: silentLogger, clock, machineInfo: () => MACHINE,
  }).then((a) => { started = true; return a; });
  await settle(api, () => clock.pendingTimers() === 1);
  assert.equal(started, false, 'waits out the back-off after a failed create');
  clock.advance(100);
  const agent = await pending;
  const node = api.objects.get('nodes//node01') as ApiObject;
  assert.equal(node.metadata.uid, 'uid-old');
  assert.deepEqual(node.metadata.labels, {
    'kubernetes.io/arch': 'amd64', team: 'a', 'kubernetes.io/hostname': 'node01', 'kubernetes.io/os': 'linux',
    'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64',
  });
  assert.deepEqual(node.metadata.annotations, { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' });
  assert.deepEqual(node.spec, { podCIDR: '10.42.1.0/24', podCIDRs: ['10.42.1.0/24'] });
  const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.deepEqual([ready.lastHeartbeatTime, ready.lastTransitionTime], ['2026-11-26T02:00:00Z', '2026-11-26T00:00:00Z'], 'Ready stayed True across the restart');
  assert.deepEqual(api.writes.map((w) => `${w.verb} ${w.resource}`), ['update nodes', 'updateStatus nodes', 'create leases']);
  await agent.stop();
});

test('a node registered NotReady posts Ready within the fast-update interval, not at the next 10 s update', async () => {
  const api = new MemoryApi();
  const clock = new FakeClock(Date.parse('2026-11-26T02:00:00Z'));
  let network = false;
  let statusCalls = 0;
  const runtime = new (class extends FakeRuntime {
    override async status(): Promise<RuntimeCondition[]> {
      statusCalls++;
      return [
        { type: 'RuntimeReady', status: true, reason: '', message: '' },
        { type: 'NetworkReady', status: network, reason: network ? '' : 'NetworkPluginNotReady', message: network ? '' : 'Network plugin returns error: cni plugin not initialized' },
      ];
    }
  })();
  const agent = await startNodeAgent({
    client: api.client(), nodeName: 'node01', addresses: [{ type: 'InternalIP', address: '127.0.1.1' }], kubeletPort: 10250,
    podCIDR: '10.42.1.0/24', runtime, log: silentLogger, clock, machineInfo: () => MACHINE,
  });
  assert.equal(agent.ready(), false);
  const readyOf = (): Record<string, string> => (api.objects.get('nodes//node01') as ApiObject).status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.equal(readyOf().message, 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized');
  assert.equal(clock.pendingTimers(), 3, 'status, lease and fast-update timers');

  const calls = statusCalls;
  clock.advance(100);
  await settle(api, () => statusCalls > calls);
  assert.equal(api.count('updateStatus', 'nodes'), 0, 'still not ready: nothing to post');

  network = true;
  clock.advance(100);
  await settle(api, () => api.count('updateStatus', 'nodes') === 1);
  assert.equal(agent.ready(), true);
  assert.deepEqual([readyOf().status, readyOf().reason, readyOf().lastTransitionTime], ['True', 'KubeletReady', '2026-11-26T02:00:00Z']);
  assert.equal(clock.pendingTimers(), 2, 'the fast-update loop ended; status and lease loops remain');
  await agent.stop();
});
