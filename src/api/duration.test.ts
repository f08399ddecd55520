import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageSince, humanDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

// Cases from apimachinery pkg/util/duration/duration_test.go and printer-columns.md §2.1.
const cases: Array<{ name: string; ms: number; want: string }> = [
  { name: '-5s is invalid', ms: -5 * S, want: '<invalid>' },
  { name: '-2s is invalid', ms: -2 * S, want: '<invalid>' },
  { name: '-1.5s is 0s', ms: -1.5 * S, want: '0s' },
  { name: '0.4s', ms: 400, want: '0s' },
  { name: '1s', ms: S, want: '1s' },
  { name: '59s', ms: 59 * S, want: '59s' },
  { name: '119.9s', ms: 119.9 * S, want: '119s' },
  { name: '120s', ms: 120 * S, want: '2m' },
  { name: '150s', ms: 150 * S, want: '2m30s' },
  { name: '9m59s', ms: 9 * M + 59 * S, want: '9m59s' },
  { name: '10m', ms: 10 * M, want: '10m' },
  { name: '10m59s', ms: 10 * M + 59 * S, want: '10m' },
  { name: '2h59m', ms: 2 * H + 59 * M, want: '179m' },
  { name: '3h', ms: 3 * H, want: '3h' },
  { name: '3h5m', ms: 3 * H + 5 * M, want: '3h5m' },
  { name: '7h59m', ms: 7 * H + 59 * M, want: '7h59m' },
  { name: '8h', ms: 8 * H, want: '8h' },
  { name: '47h59m', ms: 47 * H + 59 * M, want: '47h' },
  { name: '48h', ms: 48 * H, want: '2d' },
  { name: '53h', ms: 53 * H, want: '2d5h' },
  { name: '7d23h', ms: 7 * D + 23 * H, want: '7d23h' },
  { name: '8d', ms: 8 * D, want: '8d' },
  { name: '400d', ms: 400 * D, want: '400d' },
  { name: '729d', ms: 729 * D, want: '729d' },
  { name: '730d', ms: 730 * D, want: '2y' },
  { name: '733d', ms: 733 * D, want: '2y3d' },
  { name: '2919d', ms: 2919 * D, want: '7y364d' },
  { name: '3000d', ms: 3000 * D, want: '8y' },
];

for (const c of cases) {
  test(`humanDuration: ${c.name}`, () => {
    assert.equal(humanDuration(c.ms), c.want);
  });
}

test('ageSince: missing and zero timestamps are <unknown>', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  assert.equal(ageSince(undefined, now), '<unknown>');
  assert.equal(ageSince('', now), '<unknown>');
  assert.equal(ageSince('0001-01-01T00:00:00Z', now), '<unknown>');
  assert.equal(ageSince('2024-12-31T23:55:00Z', now), '5m');
  assert.equal(ageSince('2025-01-01T00:00:05Z', now), '<invalid>');
});
