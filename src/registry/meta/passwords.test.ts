import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSecret, hashPassword, isStrongPassword, verifyPassword } from './passwords.js';

test('hash and verify: salted, right password only, unknown user false', async () => {
  const h1 = await hashPassword('Secret-pass1');
  const h2 = await hashPassword('Secret-pass1');
  assert.notEqual(h1, h2, 'salted');
  assert.match(h1, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  assert.ok(!h1.includes('Secret-pass1'));
  assert.equal(await verifyPassword('Secret-pass1', h1), true);
  assert.equal(await verifyPassword('Secret-pass2', h1), false);
  assert.equal(await verifyPassword('', h1), false);
  assert.equal(await verifyPassword('Secret-pass1', undefined), false);
  assert.equal(await verifyPassword('Secret-pass1', 'garbage'), false);
});

test('strong passwords and generated secrets (Harbor: 8-128 chars, upper, lower, digit)', () => {
  const cases = [
    { in: 'Abcdefg1', ok: true }, { in: 'abcdefg1', ok: false }, { in: 'ABCDEFG1', ok: false },
    { in: 'Abcdefgh', ok: false }, { in: 'Abc1', ok: false }, { in: `A1${'a'.repeat(127)}`, ok: false },
  ];
  for (const c of cases) assert.equal(isStrongPassword(c.in), c.ok, c.in);
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const s = generateSecret();
    assert.match(s, /^[A-Za-z0-9]{32}$/);
    assert.ok(isStrongPassword(s));
    seen.add(s);
  }
  assert.equal(seen.size, 50);
});
