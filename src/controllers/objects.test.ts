import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { canonicalJson, fnv32a, isPodActive, isPodAvailable, rfc3339, safeEncodeString } from './objects.js';

test('fnv32a matches the FNV-1a 32-bit reference vectors', () => {
  const cases = [
    { name: 'empty', input: '', want: 0x811c9dc5 },
    { name: 'a', input: 'a', want: 0xe40c292c },
    { name: 'foobar', input: 'foobar', want: 0xbf9cf968 },
  ];
  for (const tc of cases) assert.equal(fnv32a(Buffer.from(tc.input)), tc.want, tc.name);
});

test('safeEncodeString maps digits as upstream rand.SafeEncodeString does', () => {
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  assert.equal(safeEncodeString('3735928559'), '7c79f6d99f');
});

test('rfc3339 renders whole seconds in UTC; canonicalJson sorts keys and drops null', () => {
  assert.equal(rfc3339(Date.parse('2024-05-01T10:00:00.987Z')), '2024-05-01T10:00:00Z');
  assert.equal(canonicalJson({ b: 1, a: { d: null, c: [2, { z: 1, y: undefined }] } }), '{"a":{"c":[2,{"z":1}]},"b":1}');
});

test('isPodAvailable and isPodActive', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  const pod = (ready: string, since: string, extra: Partial<Pod> = {}): Pod => ({ ...extra, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready, lastTransitionTime: since }], ...(extra.status ?? {}) } });
  const cases = [
    { name: 'ready, no minReadySeconds', pod: pod('True', '2024-05-01T09:59:59Z'), min: 0, want: true },
    { name: 'not ready', pod: pod('False', '2024-05-01T09:00:00Z'), min: 0, want: false },
    { name: 'ready long enough', pod: pod('True', '2024-05-01T09:59:49Z'), min: 10, want: true },
    { name: 'ready exactly minReadySeconds: not yet', pod: pod('True', '2024-05-01T09:59:50Z'), min: 10, want: false },
  ];
  for (const tc of cases) assert.equal(isPodAvailable(tc.pod, tc.min, now), tc.want, tc.name);
  assert.equal(isPodActive({ status: { phase: 'Succeeded' } }), false);
  assert.equal(isPodActive({ metadata: { deletionTimestamp: '2024-05-01T09:00:00Z' }, status: { phase: 'Running' } }), false);
  assert.equal(isPodActive({ status: { phase: 'Pending' } }), true);
});
