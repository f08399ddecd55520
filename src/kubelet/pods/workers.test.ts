import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { silentLogger } from '../../common/log.js';
import { PodWorkers } from './workers.js';

const pod = (uid: string, rv: string): Pod => ({ metadata: { name: uid, namespace: 'ns', uid, resourceVersion: rv }, spec: { containers: [] } });

test('PodWorkers: one sync at a time per pod; triggers during a sync fold into one more sync of the newest object', async () => {
  const seen: string[] = [];
  let release!: () => void;
  let gate = new Promise<void>((r) => { release = r; });
  let active = 0;
  let maxActive = 0;
  const w = new PodWorkers(async (p) => {
    active++;
    maxActive = Math.max(maxActive, active);
    seen.push(`${p.metadata!.uid}@${p.metadata!.resourceVersion}`);
    await gate;
    active--;
    return 'synced';
  }, silentLogger);
  w.update(pod('a', '1'));
  w.update(pod('a', '2'));
  w.trigger('a');
  w.update(pod('a', '3'));
  const g = gate;
  gate = Promise.resolve();
  release();
  await g;
  for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setImmediate(r));
  await w.stop();
  assert.equal(maxActive, 1);
  assert.deepEqual(seen, ['a@1', 'a@3']);
});

test('PodWorkers: a sync that deleted the pod ends its worker; failures are retried by the next trigger', async () => {
  const calls: string[] = [];
  let fail = true;
  const w = new PodWorkers(async (p) => {
    calls.push(p.metadata!.uid!);
    if (fail) {
      fail = false;
      throw new Error('boom');
    }
    return 'deleted';
  }, silentLogger);
  w.update(pod('b', '1'));
  await new Promise((r) => setImmediate(r));
  w.trigger('b');
  await new Promise((r) => setImmediate(r));
  w.trigger('b');
  await w.stop();
  assert.deepEqual(calls, ['b', 'b'], 'retried once after the failure, never again after deletion');
  assert.ok(w.has('b'));
  await w.remove('b');
  assert.equal(w.has('b'), false);
});
