import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import {
  BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, WorkQueue, defaultControllerRateLimiter,
} from './workqueue.js';

test('WorkQueue de-duplicates queued items and keeps FIFO order', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.deepEqual(await q.get(), { item: 'a', shutdown: false });
  assert.deepEqual(await q.get(), { item: 'b', shutdown: false });
});

test('WorkQueue does not hand out an item being processed; a re-add while processing queues it after done', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  const first = await q.get();
  assert.equal(first.item, 'a');
  q.add('a');
  assert.equal(q.len(), 0, 'not re-queued while processing');
  q.add('b');
  assert.equal((await q.get()).item, 'b');
  q.done('a');
  assert.equal(q.len(), 1);
  assert.equal((await q.get()).item, 'a');
  q.done('a');
  assert.equal(q.len(), 0);
});

test('WorkQueue get() waits for an add, and shutDown wakes waiters with shutdown=true', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  const pending = q.get();
  q.add('x');
  assert.deepEqual(await pending, { item: 'x', shutdown: false });
  const waiter = q.get();
  q.shutDown();
  assert.deepEqual(await waiter, { item: undefined, shutdown: true });
  q.add('y');
  assert.equal(q.len(), 0, 'adds after shutdown are ignored');
});

test('WorkQueue addAfter waits on the clock; the earliest pending time wins', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue<string>({ clock });
  q.addAfter('a', 100);
  q.addAfter('a', 50);
  q.addAfter('a', 200);
  clock.advance(49);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  clock.advance(1000);
  assert.equal(q.len(), 1, 'the later duplicate timers were dropped');
  q.addAfter('b', 0);
  assert.equal(q.len(), 2);
});

test('ItemExponentialFailureRateLimiter: 5ms doubling, capped, forget resets', () => {
  const l = new ItemExponentialFailureRateLimiter<string>(5, 1000 * 1000);
  const delays = Array.from({ length: 5 }, () => l.when('k'));
  assert.deepEqual(delays, [5, 10, 20, 40, 80]);
  assert.equal(l.numRequeues('k'), 5);
  l.forget('k');
  assert.equal(l.when('k'), 5);
  const capped = new ItemExponentialFailureRateLimiter<string>(5, 30);
  assert.deepEqual(Array.from({ length: 5 }, () => capped.when('k')), [5, 10, 20, 30, 30]);
});

test('BucketRateLimiter: burst passes, then one token per 1/qps', () => {
  const clock = new FakeClock(0);
  const l = new BucketRateLimiter<string>(clock, 10, 100);
  const delays = Array.from({ length: 102 }, (_, i) => l.when(`i${i}`));
  assert.deepEqual(delays.slice(0, 100), new Array(100).fill(0));
  assert.deepEqual(delays.slice(100), [100, 200]);
  clock.advance(1000);
  assert.equal(l.when('later'), 0, '10 tokens refilled in a second, 2 of them already reserved');
});

test('MaxOf and the default controller limiter take the slower verdict', () => {
  const clock = new FakeClock(0);
  const l = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter(5, 1_000_000), new BucketRateLimiter(clock, 1, 1));
  assert.equal(l.when('a'), 5);
  assert.equal(l.when('b'), 1000);
  const d = defaultControllerRateLimiter<string>(clock);
  assert.equal(d.when('x'), 5);
  assert.equal(d.when('x'), 10);
  assert.equal(d.numRequeues('x'), 2);
});

test('WorkQueue addRateLimited re-queues after the limiter delay; forget clears requeues', async () => {
  const clock = new FakeClock(0);
  const q = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
  q.addRateLimited('k');
  q.addRateLimited('k');
  assert.equal(q.numRequeues('k'), 2);
  clock.advance(4);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  q.shutDown();
  assert.equal(clock.pendingTimers(), 0);
});

test('WorkQueue shutDownWithDrain waits for in-flight items; queued items still drain after shutdown', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  const a = await q.get();
  let drained = false;
  const drain = q.shutDownWithDrain().then(() => { drained = true; });
  assert.deepEqual(await q.get(), { item: 'b', shutdown: false }, 'b was queued before shutdown');
  q.done('b');
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'a is still processing');
  q.done(a.item as string);
  await drain;
  assert.equal(drained, true);
  assert.deepEqual(await q.get(), { item: undefined, shutdown: true });
});
