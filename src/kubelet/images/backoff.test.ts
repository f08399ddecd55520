// client-go flowcontrol.Backoff semantics and Go duration printing, as the kubelet uses them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, IMAGE_BACKOFF_INITIAL_MS, IMAGE_BACKOFF_MAX_MS } from './backoff.js';
import { formatGoDuration, formatPullDuration } from './go-duration.js';

test('formatGoDuration prints as Go time.Duration.String()', () => {
  const cases = [
    { name: 'zero', ms: 0, want: '0s' },
    { name: 'nanoseconds', ms: 0.0005, want: '500ns' },
    { name: 'fractional milliseconds', ms: 1.5, want: '1.5ms' },
    { name: 'microseconds', ms: 0.25, want: '250µs' },
    { name: 'milliseconds', ms: 718, want: '718ms' },
    { name: 'one second', ms: 1000, want: '1s' },
    { name: 'seconds with ms', ms: 1561, want: '1.561s' },
    { name: 'trailing zeros trimmed', ms: 1010, want: '1.01s' },
    { name: 'minutes and fractional seconds', ms: 62345, want: '1m2.345s' },
    { name: 'crash-loop 80s', ms: 80_000, want: '1m20s' },
    { name: 'crash-loop 160s', ms: 160_000, want: '2m40s' },
    { name: 'five minutes', ms: 300_000, want: '5m0s' },
    { name: 'one hour', ms: 3_600_000, want: '1h0m0s' },
  ];
  for (const c of cases) assert.equal(formatGoDuration(c.ms), c.want, c.name);
  assert.equal(formatPullDuration(1561.9), '1.561s', 'pull durations are truncated to milliseconds');
});

test('image back-off: first failure 10s, doubling to 300s, expiring after 600s quiet', () => {
  let now = 1_000_000;
  const b = new Backoff({ initialMs: IMAGE_BACKOFF_INITIAL_MS, maxMs: IMAGE_BACKOFF_MAX_MS, now: () => now });
  const key = 'uid_nginx:nope';
  assert.equal(b.isInBackOffSinceUpdate(key), false, 'no entry: no back-off');
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    b.next(key);
    waits.push(b.get(key));
    now += b.get(key);
  }
  assert.deepEqual(waits.map((w) => w / 1000), [10, 20, 40, 80, 160, 300, 300, 300]);
  b.next(key);
  assert.equal(b.isInBackOffSinceUpdate(key, now + 299_999), true);
  assert.equal(b.isInBackOffSinceUpdate(key, now + 300_000), false);
  now += 600_001;
  assert.equal(b.isInBackOffSinceUpdate(key), false, 'expired');
  b.next(key);
  assert.equal(b.get(key), 10_000, 'restarts at 10s after 10 minutes without a failure');
});

test('back-off keys are independent; gc drops expired entries', () => {
  let now = 0;
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, now: () => now });
  b.next('pod-a_img');
  assert.equal(b.isInBackOffSinceUpdate('pod-b_img'), false);
  now = 600_000;
  b.next('pod-b_img');
  b.gc();
  assert.equal(b.size, 2, 'exactly 600s is not expired');
  now = 600_001;
  b.gc();
  assert.equal(b.size, 1);
});

test('isInBackOffSince measures from the event time (crash loops use finishedAt)', () => {
  let now = 0;
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, now: () => now });
  b.next('c', 0);
  now = 9_000;
  assert.equal(b.isInBackOffSince('c', 0), true);
  now = 10_000;
  assert.equal(b.isInBackOffSince('c', 0), false);
  assert.equal(b.isInBackOffSince('c', 5_000), true, 'a later finish restarts the window');
});
