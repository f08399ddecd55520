import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../common/clock.js';
import { Expectations } from './expectations.js';

test('Expectations gate re-syncs until creates and deletes are observed, or 5 minutes pass', () => {
  const clock = new FakeClock(0);
  const e = new Expectations(clock);
  assert.equal(e.satisfied('default/web'), true, 'no expectations yet');
  e.expectCreations('default/web', 2);
  assert.equal(e.satisfied('default/web'), false);
  e.creationObserved('default/web');
  assert.equal(e.satisfied('default/web'), false);
  e.creationObserved('default/web');
  assert.equal(e.satisfied('default/web'), true);

  e.expectDeletions('default/web', ['u1', 'u2']);
  e.deletionObserved('default/web', 'someone-else');
  e.deletionObserved('default/web', 'u1');
  e.deletionObserved('default/web', 'u1');
  assert.equal(e.satisfied('default/web'), false, 'u2 still expected; repeats and strangers do not count');
  e.deletionObserved('default/web', 'u2');
  assert.equal(e.satisfied('default/web'), true);

  e.expectCreations('default/db', 3);
  clock.advance(5 * 60 * 1000);
  assert.equal(e.satisfied('default/db'), false, 'exactly at the timeout: still waiting');
  clock.advance(1);
  assert.equal(e.satisfied('default/db'), true, 'expired');
  e.expectCreations('default/db', 1);
  e.delete('default/db');
  assert.equal(e.satisfied('default/db'), true);
});
