import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstThree, formatLabels, formatLabelSelector, selectorString } from './table.js';
import { deepEqual, generateName } from './util.js';

test('formatLabels: sorted k=v, <none> when empty', () => {
  assert.equal(formatLabels({ tier: 'fe', app: 'web' }), 'app=web,tier=fe');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatLabels(undefined), '<none>');
});

const selectors: Array<{ name: string; sel: any; str: string | undefined; formatted: string }> = [
  { name: 'nil', sel: undefined, str: '', formatted: '<none>' },
  { name: 'empty', sel: {}, str: '', formatted: '<none>' },
  { name: 'matchLabels sorted', sel: { matchLabels: { b: '2', a: '1' } }, str: 'a=1,b=2', formatted: 'a=1,b=2' },
  {
    name: 'all operators',
    sel: { matchExpressions: [{ key: 'z', operator: 'DoesNotExist' }, { key: 'y', operator: 'Exists' }, { key: 'x', operator: 'NotIn', values: ['b', 'a'] }, { key: 'w', operator: 'In', values: ['2', '1'] }] },
    str: 'w in (1,2),x notin (a,b),y,!z', formatted: 'w in (1,2),x notin (a,b),y,!z',
  },
  { name: 'invalid operator', sel: { matchExpressions: [{ key: 'a', operator: 'Near' }] }, str: undefined, formatted: '<error>' },
  { name: 'In without values', sel: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, str: undefined, formatted: '<error>' },
];
for (const c of selectors) {
  test(`selector strings: ${c.name}`, () => {
    assert.equal(selectorString(c.sel), c.str);
    assert.equal(formatLabelSelector(c.sel), c.formatted);
  });
}

test('firstThree: + N more...', () => {
  assert.equal(firstThree(['a', 'b', 'c']), 'a,b,c');
  assert.equal(firstThree(['a', 'b', 'c', 'd', 'e']), 'a,b,c + 2 more...');
  assert.equal(firstThree([]), '');
});

test('generateName: 5 characters from the upstream alphabet, prefix cut to 58', () => {
  assert.equal(generateName('web-', () => 0), 'web-bbbbb');
  assert.match(generateName('web-'), /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(generateName('x'.repeat(70), () => 0.999).length, 63);
});

test('deepEqual ignores key order and undefined members', () => {
  assert.ok(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined }));
  assert.ok(!deepEqual([1, 2], [2, 1]));
});
