import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { Backoff } from './backoff.js';

// Kubelet's image pull back-off uses initial 10s, max 300s (pkg/kubelet/kubelet.go backOffPeriod/MaxContainerBackOff).
test('Backoff doubles per failure up to the maximum', () => {
  const c = new FakeClock(0);
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, now: () => c.now() });
  const seen: number[] = [];
  for (let i = 0; i < 7; i++) {
    b.next('img', c.now());
    seen.push(b.get('img'));
    c.advance(1000);
  }
  assert.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(b.get('other'), 0);
});

test('Backoff: an entry idle for more than twice the maximum starts over', () => {
  const c = new FakeClock(0);
  const b = new Backoff({ initialMs: 1000, maxMs: 4000, now: () => c.now() });
  b.next('x', 0);
  b.next('x', 100);
  assert.equal(b.get('x'), 2000);
  b.next('x', 100 + 8001);
  assert.equal(b.get('x'), 1000);
});

test('Backoff isInBackOffSince / isInBackOffSinceUpdate / reset / gc', () => {
  const cases = [
    { name: 'inside the delay', advance: 999, since: true },
    { name: 'delay elapsed', advance: 1000, since: false },
  ];
  for (const tc of cases) {
    const c = new FakeClock(0);
    const b = new Backoff({ initialMs: 1000, maxMs: 10_000, now: () => c.now() });
    b.next('p', 0);
    c.advance(tc.advance);
    assert.equal(b.isInBackOffSince('p', 0), tc.since, tc.name);
  }
  const c = new FakeClock(0);
  const b = new Backoff({ initialMs: 1000, maxMs: 10_000, now: () => c.now() });
  b.next('p', 0);
  assert.equal(b.isInBackOffSinceUpdate('p', 500), true);
  assert.equal(b.isInBackOffSinceUpdate('p', 1500), false);
  b.reset('p');
  assert.equal(b.isInBackOffSince('p', 0), false);
  b.next('q', 0);
  c.advance(20_001);
  b.gc();
  assert.equal(b.get('q'), 0);
});
