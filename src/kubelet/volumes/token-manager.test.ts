// Token cache and refresh at 80 % of the lifetime (upstream token_manager_test.go TestRequiresRefresh).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiStatusError } from '../../client/index.js';
import { createFakeClient, type FakeRequest } from '../podconfig/fake-client.js';
import { TokenManager, type TokenSpec } from './token-manager.js';

const spec: TokenSpec = { namespace: 'team', serviceAccount: 'default', audiences: [], expirationSeconds: 3600, pod: { name: 'web', uid: 'u1' } };

function setup() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  let n = 0;
  let fail = false;
  const client = createFakeClient((req: FakeRequest) => {
    if (fail) throw new ApiStatusError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
    n++;
    const body = req.body as { spec: { expirationSeconds: number } };
    return { spec: { expirationSeconds: body.spec.expirationSeconds }, status: { token: `tok-${n}`, expirationTimestamp: new Date(now + body.spec.expirationSeconds * 1000).toISOString() } };
  });
  const tm = new TokenManager(client, () => now);
  return { client, tm, advance: (s: number) => { now += s * 1000; }, setFail: (v: boolean) => { fail = v; } };
}

test('TokenManager: the TokenRequest names the pod, audience and lifetime', async () => {
  const { client, tm } = setup();
  assert.equal(await tm.get({ ...spec, audiences: ['vault'] }), 'tok-1');
  assert.deepEqual(client.requests, [{
    method: 'POST', path: '/api/v1/namespaces/team/serviceaccounts/default/token',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['vault'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'u1' } } },
  }]);
});

const refreshCases = [
  { name: 'fresh token reused', after: 60, want: 'tok-1' },
  { name: 'at 80 % exactly still reused', after: 2880, want: 'tok-1' },
  { name: 'past 80 % re-requested', after: 2881, want: 'tok-2' },
];
for (const c of refreshCases) {
  test(`TokenManager: ${c.name}`, async () => {
    const { tm, advance } = setup();
    await tm.get(spec);
    advance(c.after);
    assert.equal(await tm.get(spec), c.want);
  });
}

test('TokenManager: a failed refresh keeps an unexpired token, then fails once it expired', async () => {
  const { tm, advance, setFail } = setup();
  await tm.get(spec);
  setFail(true);
  advance(3000);
  assert.equal(await tm.get(spec), 'tok-1');
  advance(700);
  await assert.rejects(tm.get(spec), /^Error: token .* expired and refresh failed: the server is currently unable to handle the request$/);
});

test('TokenManager: the first fetch failing says so; deletePodTokens forgets the pod', async () => {
  const { tm, setFail } = setup();
  setFail(true);
  await assert.rejects(tm.get(spec), { message: 'failed to fetch token: the server is currently unable to handle the request' });
  setFail(false);
  assert.equal(await tm.get(spec), 'tok-1');
  tm.deletePodTokens('u1');
  assert.equal(await tm.get(spec), 'tok-2');
});
