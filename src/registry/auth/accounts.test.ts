import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openRegistryDb } from '../db.js';
import { MetaStore, hashPassword } from '../meta/index.js';
import { Accounts, MAX_FAILURES } from './accounts.js';

async function setup() {
  let now = new Date('2026-06-01T00:00:00Z');
  const store = new MetaStore(openRegistryDb(':memory:'), () => now);
  const u = store.createUser({ username: 'ann', passwordHash: await hashPassword('Ann-pass-1') });
  const lib = store.createProject('lib', false, u.id);
  const day = 86400;
  const robot = store.createRobot({
    name: 'ci', description: '', level: 'project', projectId: lib.id, secretHash: await hashPassword('Robot-secret-1'), duration: 1,
    expiresAt: Math.floor(now.getTime() / 1000) + day, disabled: false, permissions: [], creatorType: 'local', creatorRef: u.id,
  });
  const accounts = new Accounts(store, 'robot$', () => now);
  return { store, accounts, u, robot, setNow: (d: Date) => { now = d; } };
}

test('users and robots log in by name; robots expire', async () => {
  const { accounts, setNow } = await setup();
  const a = await accounts.authenticate('ann', 'Ann-pass-1');
  assert.equal(a.ok && a.account.kind, 'user');
  const r = await accounts.authenticate('robot$lib+ci', 'Robot-secret-1');
  assert.equal(r.ok && r.account.kind, 'robot');
  assert.equal((await accounts.authenticate('robot$other+ci', 'Robot-secret-1')).ok, false);
  assert.equal((await accounts.authenticate('robot$ci', 'Robot-secret-1')).ok, false, 'not a system robot');
  assert.ok(accounts.resolve('robot', 'robot$lib+ci'));
  setNow(new Date('2026-06-02T00:00:01Z'));
  assert.equal((await accounts.authenticate('robot$lib+ci', 'Robot-secret-1')).ok, false, 'expired, even from the cache');
  assert.equal(accounts.resolve('robot', 'robot$lib+ci'), undefined);
});

test('a cached check dies with a password change', async () => {
  const { store, accounts, u } = await setup();
  assert.equal((await accounts.authenticate('ann', 'Ann-pass-1')).ok, true);
  store.setPassword(u.id, await hashPassword('Ann-pass-2'));
  assert.equal((await accounts.authenticate('ann', 'Ann-pass-1')).ok, false);
  assert.equal((await accounts.authenticate('ann', 'Ann-pass-2')).ok, true);
});

test('throttling per client and name, for a window', async () => {
  const { accounts, setNow } = await setup();
  for (let i = 0; i < MAX_FAILURES; i++) {
    assert.deepEqual(await accounts.authenticate('ann', 'wrong', '10.0.0.1'), { ok: false, throttled: false });
  }
  assert.deepEqual(await accounts.authenticate('ann', 'Ann-pass-1', '10.0.0.1'), { ok: false, throttled: true });
  assert.equal((await accounts.authenticate('ann', 'Ann-pass-1', '10.0.0.2')).ok, true, 'another client is not locked out');
  setNow(new Date('2026-06-01T00:06:00Z'));
  assert.equal((await accounts.authenticate('ann', 'Ann-pass-1', '10.0.0.1')).ok, true);
});
