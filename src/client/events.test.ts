import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiStatusError, type ApiObject, type Client } from './client.js';
import { createEventRecorder, involvedContainer } from './events.js';

/** A client that keeps Events in a map, as the API would. */
function eventStore(): { client: Client; events: Map<string, ApiObject>; calls: string[] } {
  const events = new Map<string, ApiObject>();
  const calls: string[] = [];
  const client = {
    async create(_ref: unknown, ns: string, obj: ApiObject) {
      calls.push(`create ${ns}/${obj.metadata.name}`);
      events.set(`${ns}/${obj.metadata.name}`, structuredClone(obj));
      return obj;
    },
    async patch(_ref: unknown, ns: string, name: string, patch: Record<string, unknown>) {
      calls.push(`patch ${ns}/${name}`);
      const cur = events.get(`${ns}/${name}`);
      if (!cur) throw new ApiStatusError(404, 'NotFound', 'not found');
      Object.assign(cur, patch);
      return cur;
    },
  };
  return { client: client as unknown as Client, events, calls };
}

const pod: ApiObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns1', uid: 'u1' } };

describe('event recorder', () => {
  it('folds repeats into one Event with count and lastTimestamp, as describe shows "(x3 over 2m)"', async () => {
    const { client, events, calls } = eventStore();
    let t = Date.parse('2026-01-01T00:00:00.250Z');
    const rec = createEventRecorder(client, { component: 'kubelet', host: 'node01' }, { now: () => new Date(t) });
    const c = involvedContainer(pod, 'nginx');
    rec.event(c, 'Normal', 'Pulling', 'Pulling image "nginx"');
    t += 60_000;
    rec.event(c, 'Normal', 'Pulling', 'Pulling image "nginx"');
    t += 60_000;
    rec.event(c, 'Normal', 'Pulling', 'Pulling image "nginx"');
    rec.event(c, 'Warning', 'BackOff', 'Back-off restarting failed container nginx in pod web_ns1(u1)');
    await rec.flush();
    const list = [...events.values()];
    assert.equal(list.length, 2);
    const pulling = list.find((e) => e.reason === 'Pulling')!;
    assert.equal(pulling.count, 3);
    assert.equal(pulling.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(pulling.lastTimestamp, '2026-01-01T00:02:00Z');
    assert.deepEqual(pulling.involvedObject, { apiVersion: 'v1', kind: 'Pod', namespace: 'ns1', name: 'web', uid: 'u1', resourceVersion: undefined, fieldPath: 'spec.containers{nginx}' });
    assert.deepEqual(pulling.source, { component: 'kubelet', host: 'node01' });
    assert.equal(pulling.type, 'Normal');
    assert.match(String(pulling.metadata.name), /^web\.[0-9a-f]+$/);
    assert.deepEqual(calls.map((x) => x.split(' ')[0]), ['create', 'patch', 'patch', 'create']);
  });

  it('a different message, type or fieldPath is a different Event; cluster-scoped objects record in default', async () => {
    const { client, events } = eventStore();
    const rec = createEventRecorder(client, { component: 'kubelet' });
    rec.event(involvedContainer(pod, 'a'), 'Normal', 'Started', 'Started container a');
    rec.event(involvedContainer(pod, 'b'), 'Normal', 'Started', 'Started container a');
    rec.event(involvedContainer(pod, 'a'), 'Warning', 'Started', 'Started container a');
    rec.event({ apiVersion: 'v1', kind: 'Node', name: 'node01', uid: 'node01' }, 'Normal', 'NodeReady', 'Node node01 status is now: NodeReady');
    await rec.flush();
    assert.equal(events.size, 4);
    assert.ok([...events.keys()].some((k) => k.startsWith('default/node01.')));
  });

  it('starts a new Event when the folded one was deleted, and never throws', async () => {
    const { client, events } = eventStore();
    const rec = createEventRecorder(client, { component: 'kubelet' });
    const c = involvedContainer(pod, 'a');
    rec.event(c, 'Normal', 'Killing', 'Stopping container a');
    await rec.flush();
    events.clear();
    rec.event(c, 'Normal', 'Killing', 'Stopping container a');
    await rec.flush();
    assert.equal(events.size, 1);
    assert.equal([...events.values()][0].count, 1);
    const failing = createEventRecorder({ create: async () => { throw new Error('boom'); } } as unknown as Client, { component: 'x' });
    failing.event(c, 'Normal', 'A', 'b');
    await failing.flush();
  });
});
