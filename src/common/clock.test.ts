import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';

test('FakeClock fires timers in due order during advance, and not before', () => {
  const c = new FakeClock(1000);
  const fired: string[] = [];
  c.setTimer(() => fired.push(`b@${c.now()}`), 20);
  c.setTimer(() => fired.push(`a@${c.now()}`), 10);
  const cancelled = c.setTimer(() => fired.push('never'), 15);
  cancelled.cancel();
  c.advance(9);
  assert.deepEqual(fired, []);
  c.advance(11);
  assert.deepEqual(fired, ['a@1010', 'b@1020']);
  assert.equal(c.now(), 1020);
  assert.equal(c.pendingTimers(), 0);
});

test('FakeClock runs a timer that a firing timer schedules inside the same advance', () => {
  const c = new FakeClock(0);
  const fired: number[] = [];
  c.setTimer(() => {
    fired.push(c.now());
    c.setTimer(() => fired.push(c.now()), 5);
  }, 5);
  c.advance(10);
  assert.deepEqual(fired, [5, 10]);
});
