import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../common/clock.js';
import { ItemExponentialFailureRateLimiter, WorkQueue } from '../common/workqueue.js';
import { runWorkers } from './worker.js';

/** Lets pending promise callbacks run until `cond` holds, failing after a deadline. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('runWorkers retries a failing key with per-item back-off, then forgets it on success', async () => {
  const clock = new FakeClock(0);
  const queue = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
  const calls: number[] = [];
  const done = runWorkers(queue, async () => {
    calls.push(clock.now());
    if (calls.length < 3) throw new Error('conflict');
  });
  queue.add('default/web');
  await until(() => calls.length === 1, 'first sync');
  clock.advance(4);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, 1, 'not before the 5ms back-off');
  clock.advance(1);
  await until(() => calls.length === 2, 'second sync');
  clock.advance(10);
  await until(() => calls.length === 3, 'third sync');
  assert.deepEqual(calls, [0, 5, 15]);
  await until(() => queue.numRequeues('default/web') === 0, 'forget after success');
  queue.shutDown();
  await done;
});

test('runWorkers drops a key after maxRetries and honours requeueAfterMs', async () => {
  const clock = new FakeClock(0);
  const queue = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(1, 1) });
  let failing = 0;
  let deadlineChecks = 0;
  const done = runWorkers(queue, async (key) => {
    if (key === 'bad') {
      failing++;
      throw new Error('always');
    }
    deadlineChecks++;
    return deadlineChecks === 1 ? { requeueAfterMs: 600_000 } : undefined;
  }, { maxRetries: 2, workers: 2 });
  queue.add('bad');
  queue.add('slow');
  for (let i = 0; i < 5; i++) {
    await until(() => failing >= Math.min(3, i + 1), `failure ${i}`);
    clock.advance(1);
  }
  assert.equal(failing, 3, 'first try plus 2 retries');
  assert.equal(queue.numRequeues('bad'), 0, 'forgotten after giving up');
  assert.equal(deadlineChecks, 1);
  clock.advance(600_000);
  await until(() => deadlineChecks === 2, 'requeued check');
  queue.shutDown();
  await done;
});
