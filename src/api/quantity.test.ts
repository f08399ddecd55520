import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareQuantities, milliValue, parseQuantity } from './quantity.js';

// Cases follow apimachinery pkg/api/resource/quantity_test.go (TestQuantityParse).
const ok: Array<{ name: string; in: string | number; nanos: bigint }> = [
  { name: 'plain integer', in: '1', nanos: 1_000_000_000n },
  { name: 'number input', in: 2, nanos: 2_000_000_000n },
  { name: 'milli', in: '100m', nanos: 100_000_000n },
  { name: 'fraction', in: '0.5', nanos: 500_000_000n },
  { name: 'leading dot', in: '.5', nanos: 500_000_000n },
  { name: 'trailing dot', in: '5.', nanos: 5_000_000_000n },
  { name: 'micro', in: '3u', nanos: 3000n },
  { name: 'nano', in: '7n', nanos: 7n },
  { name: 'kilo', in: '2k', nanos: 2_000_000_000_000n },
  { name: 'Ki', in: '1Ki', nanos: 1024n * 1_000_000_000n },
  { name: '1.5Gi', in: '1.5Gi', nanos: 1610612736n * 1_000_000_000n },
  { name: 'Mi', in: '128Mi', nanos: 134217728n * 1_000_000_000n },
  { name: 'M', in: '128M', nanos: 128_000_000n * 1_000_000_000n },
  { name: 'exponent', in: '1e3', nanos: 1000n * 1_000_000_000n },
  { name: 'negative exponent', in: '1E-3', nanos: 1_000_000n },
  { name: 'negative', in: '-1', nanos: -1_000_000_000n },
  { name: 'sub-nano rounds up', in: '0.1n', nanos: 1n },
];
for (const c of ok) {
  test(`parseQuantity ok: ${c.name}`, () => {
    assert.equal(parseQuantity(c.in)?.nanos, c.nanos);
  });
}

const bad = ['', '.', 'abc', '1Gb', '1 Gi', '1.2.3', 'Gi', '1ki', '--1', 'e3'];
for (const s of bad) {
  test(`parseQuantity rejects ${JSON.stringify(s)}`, () => {
    assert.equal(parseQuantity(s), undefined);
  });
}

test('compare and milliValue', () => {
  assert.equal(compareQuantities(parseQuantity('1')!, parseQuantity('1000m')!), 0);
  assert.equal(compareQuantities(parseQuantity('1Gi')!, parseQuantity('1G')!), 1);
  assert.equal(compareQuantities(parseQuantity('500m')!, parseQuantity('1')!), -1);
  assert.equal(milliValue(parseQuantity('0.0001')!), 1n);
  assert.equal(milliValue(parseQuantity('2')!), 2000n);
});
