import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeContinue, encodeContinue, ContinueTokenError } from './continue-token.js';

describe('continue tokens', () => {
  it('round-trips the revision and continues strictly after the last key', () => {
    const t = encodeContinue(42, 'default/cm-0499');
    assert.deepEqual(decodeContinue(t), { rv: 42, start: 'default/cm-0499\u0000' });
  });
  it('uses upstream\'s JSON shape in unpadded base64url', () => {
    const t = encodeContinue(7, 'a');
    assert.doesNotMatch(t, /[=+/]/);
    assert.deepEqual(JSON.parse(Buffer.from(t, 'base64url').toString()), { v: 'meta.k8s.io/v1', rv: 7, start: 'a\u0000' });
  });
  const bad: Array<{ name: string; token: string; message: RegExp }> = [
    { name: 'garbage', token: '%%%', message: /^continue key is not valid/ },
    { name: 'wrong version', token: Buffer.from(JSON.stringify({ v: 'x', rv: 1, start: 'a' })).toString('base64url'), message: /server does not recognize this encoded key/ },
    { name: 'zero revision', token: Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' })).toString('base64url'), message: /incorrect encoded start resourceVersion/ },
    { name: 'empty start', token: Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 3, start: '' })).toString('base64url'), message: /encoded start key empty/ },
    { name: 'path escape', token: Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 3, start: '../secrets/x' })).toString('base64url'), message: /invalid path/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => decodeContinue(c.token), (e: unknown) => e instanceof ContinueTokenError && c.message.test((e as Error).message));
    });
  }
});
