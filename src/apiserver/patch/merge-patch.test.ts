import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMergePatch } from './index.js';

describe('applyMergePatch (RFC 7386)', () => {
  // RFC 7386 Appendix A, every example.
  const rfc: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  rfc.forEach(([target, patch, want], i) => {
    it(`RFC 7386 appendix A example ${i + 1}`, () => assert.deepEqual(applyMergePatch(target, patch), want));
  });

  it('applies what kubectl label and kubectl scale send', () => {
    const live = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'c' }] } } } };
    assert.deepEqual(applyMergePatch(live, { metadata: { labels: { foo: 'bar' } } }), {
      ...live,
      metadata: { name: 'web', labels: { app: 'web', foo: 'bar' } },
    });
    assert.deepEqual(applyMergePatch(live, { spec: { replicas: 3 } }), { ...live, spec: { ...live.spec, replicas: 3 } });
    assert.equal(live.spec.replicas, 2, 'the original is not modified');
  });
});
