import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../common/clock.js';
import { RESOURCES, type Client } from '../client/index.js';
import { createFakeClient } from './fake-client.js';
import { microTime, startLeaderElection, type LeaderElector } from './leader-election.js';

/** Lets pending promise callbacks run until `cond` holds, failing after a deadline. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Advances the fake clock in small steps, letting the async loops run between them. */
async function advance(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}

function candidate(client: Client, clock: FakeClock, identity: string, log: string[]): LeaderElector {
  return startLeaderElection({
    client, clock, identity, namespace: 'kube-system', name: 'berth-controller-manager',
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  });
}

test('microTime renders metav1.MicroTime with microseconds', () => {
  assert.equal(microTime(Date.parse('2024-01-01T00:00:00.123Z')), '2024-01-01T00:00:00.123000Z');
});

test('the first candidate creates the Lease with upstream defaults and leads', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const log: string[] = [];
  const a = candidate(client, clock, 'a', log);
  await until(() => a.isLeader(), 'a leads');
  const lease = await client.get(RESOURCES.leases, 'kube-system', 'berth-controller-manager');
  assert.deepEqual(lease.spec, {
    holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2024-01-01T00:00:00.000000Z',
    renewTime: '2024-01-01T00:00:00.000000Z', leaseTransitions: 0,
  });
  await advance(clock, 2000);
  const renewed = await client.get(RESOURCES.leases, 'kube-system', 'berth-controller-manager');
  assert.equal(renewed.spec.renewTime, '2024-01-01T00:00:02.000000Z', 'renewed every retryPeriod (2 s)');
  assert.equal(renewed.spec.acquireTime, '2024-01-01T00:00:00.000000Z');
  await a.stop();
  assert.deepEqual(log, ['a started', 'a stopped']);
});

test('a partitioned leader steps down after renewDeadline; the other takes over after leaseDuration unchanged', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(0);
  const log: string[] = [];
  // a reaches the API through a link the test can cut.
  let cut = false;
  const link = new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => (cut ? Promise.reject(new Error('connection refused')) : v.apply(target, args));
    },
  });
  const a = candidate(link, clock, 'a', log);
  await until(() => a.isLeader(), 'a leads');
  const b = candidate(client, clock, 'b', log);
  await advance(clock, 20_000);
  assert.equal(b.isLeader(), false, 'b never leads while a renews');

  cut = true;
  const t0 = clock.now();
  while (!log.includes('a stopped')) await advance(clock, 100);
  const steppedDown = clock.now() - t0;
  assert.ok(steppedDown >= 10_000 && steppedDown <= 12_000, `a stepped down after ${steppedDown} ms (renewDeadline 10 s, retry 2 s)`);
  while (!b.isLeader()) await advance(clock, 100);
  const tookOver = clock.now() - t0;
  assert.ok(tookOver >= 15_000 && tookOver <= 18_000, `b took over after ${tookOver} ms (leaseDuration 15 s from its last observed change)`);
  const lease = await client.get(RESOURCES.leases, 'kube-system', 'berth-controller-manager');
  assert.equal(lease.spec.holderIdentity, 'b');
  assert.equal(lease.spec.leaseTransitions, 1);
  assert.ok(log.indexOf('a stopped') < log.indexOf('b started'), 'never two leaders');
  await a.stop();
  await b.stop();
});

test('stop() releases the Lease so another candidate leads at its next attempt', async () => {
  const client = createFakeClient();
  const clock = new FakeClock(0);
  const log: string[] = [];
  const a = candidate(client, clock, 'a', log);
  await until(() => a.isLeader(), 'a leads');
  const b = candidate(client, clock, 'b', log);
  await advance(clock, 1000);
  await a.stop();
  const released = await client.get(RESOURCES.leases, 'kube-system', 'berth-controller-manager');
  assert.equal(released.spec.holderIdentity, '');
  assert.equal(released.spec.leaseDurationSeconds, 1);
  await advance(clock, 2000);
  assert.equal(b.isLeader(), true, 'b leads within one retry period of the release, not after 15 s');
  await b.stop();
  assert.deepEqual(log, ['a started', 'a stopped', 'b started', 'b stopped']);
});
