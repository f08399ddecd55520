// The Docker token flow against Harbor's module over HTTP: challenges, GET and OAuth2 POST token
// requests, scope intersection, Basic auth on /v2/, and createRegistry's own wiring.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../../src/registry/index.js';
import {
  ADMIN_PASSWORD, accessOf, addMember, admin, api, basic, createProject, createUser, getToken, pushImageAs, startHarbor, type HarborTest,
} from './harbor-harness.js';

let t: HarborTest;
let alice: string;

before(async () => {
  t = await startHarbor();
  alice = await createUser(t, 'alice', 'Alice-pass1');
  await createProject(t, 'secret', false);
  await addMember(t, 'secret', 'alice', 3); // Guest: pull only
  await pushImageAs(t, 'secret/app', 'v1', admin());
  await pushImageAs(t, 'library/busybox', '1', admin());
});
after(() => t.close());

test('createRegistry loads the Harbor module: /v2/ challenges with Harbor realm and service', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-harbor-wire-'));
  const reg = await createRegistry({ dataDir: dir, host: '127.0.0.1', port: 0, adminPassword: ADMIN_PASSWORD });
  try {
    assert.equal(reg.harbor, true);
    const r = await fetch(`${reg.url}/v2/`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), `Bearer realm="${reg.url}/service/token",service="harbor-registry"`);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const ok = await fetch(`${reg.url}/v2/`, { headers: { authorization: admin() } });
    assert.equal(ok.status, 200);
    const lib = await fetch(`${reg.url}/api/v2.0/projects/library`);
    assert.equal(lib.status, 200);
    assert.equal((await lib.json() as any).metadata.public, 'true');
  } finally {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a repository request without credentials gets a challenge naming its scope, even on a public project', async () => {
  const cases = [
    { name: 'manifest GET on public', method: 'GET', path: '/v2/library/busybox/manifests/1', scope: 'repository:library/busybox:pull' },
    { name: 'manifest HEAD on private', method: 'HEAD', path: '/v2/secret/app/manifests/v1', scope: 'repository:secret/app:pull' },
    { name: 'upload start', method: 'POST', path: '/v2/secret/app/blobs/uploads/', scope: 'repository:secret/app:push' },
    { name: 'catalog', method: 'GET', path: '/v2/_catalog', scope: 'registry:catalog:*' },
  ];
  for (const c of cases) {
    const r = await fetch(`${t.url}${c.path}`, { method: c.method });
    assert.equal(r.status, 401, c.name);
    assert.equal(r.headers.get('www-authenticate'), `Bearer realm="${t.url}/service/token",service="harbor-registry",scope="${c.scope}"`, c.name);
  }
});

test('GET /service/token grants the intersection of what was asked and what is allowed', async () => {
  const cases = [
    { name: 'anonymous pull of public', auth: undefined, scopes: ['repository:library/busybox:pull'], want: [['library/busybox', ['pull']]] },
    { name: 'anonymous push of public is dropped', auth: undefined, scopes: ['repository:library/busybox:pull,push'], want: [['library/busybox', ['pull']]] },
    { name: 'anonymous on private: empty list, not an error', auth: undefined, scopes: ['repository:secret/app:pull'], want: [['secret/app', []]] },
    { name: 'guest asks push,pull (docker order)', auth: () => alice, scopes: ['repository:secret/app:push,pull'], want: [['secret/app', ['pull']]] },
    { name: 'admin push,pull', auth: admin, scopes: ['repository:secret/app:pull,push'], want: [['secret/app', ['pull', 'push']]] },
    {
      name: 'several scope params and a space-separated list', auth: admin,
      scopes: ['repository:secret/app:pull repository:library/busybox:delete', 'repository:secret/app:push'],
      want: [['secret/app', ['pull', 'push']], ['library/busybox', ['delete']]],
    },
    { name: 'unknown project', auth: admin, scopes: ['repository:nope/x:pull'], want: [['nope/x', []]] },
    { name: 'catalog for admin', auth: admin, scopes: ['registry:catalog:*'], want: [['catalog', ['*']]] },
    { name: 'catalog for a user', auth: () => alice, scopes: ['registry:catalog:*'], want: [['catalog', []]] },
  ];
  for (const c of cases) {
    const r = await getToken(t, c.scopes, c.auth?.());
    assert.equal(r.status, 200, c.name);
    assert.equal(r.body.token, r.body.access_token, c.name);
    assert.equal(r.body.expires_in, 1800, c.name);
    assert.ok(!Number.isNaN(Date.parse(r.body.issued_at)), c.name);
    assert.deepEqual(accessOf(r.body.token).map((a) => [a.name, a.actions]), c.want, c.name);
  }
});

test('token endpoint refusals: bad credentials, and anonymous without scope (docker login)', async () => {
  const bad = await getToken(t, ['repository:library/busybox:pull'], basic('alice', 'wrong-Pass1'));
  assert.equal(bad.status, 401);
  assert.equal(bad.body.errors[0].code, 'UNAUTHORIZED');
  const unknown = await getToken(t, [], basic('nobody', 'x'));
  assert.equal(unknown.status, 401);
  const anon = await getToken(t, []);
  assert.equal(anon.status, 401);
  const login = await getToken(t, [], alice);
  assert.equal(login.status, 200);
  assert.deepEqual(accessOf(login.body.token), []);
});

test('OAuth2 POST form as containerd sends it, with refresh tokens', async () => {
  const post = (form: Record<string, string>) => fetch(`${t.url}/service/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form),
  });
  const r = await post({
    grant_type: 'password', username: 'alice', password: 'Alice-pass1', service: 'harbor-registry',
    client_id: 'containerd-client', scope: 'repository:secret/app:pull,push', access_type: 'offline',
  });
  assert.equal(r.status, 200);
  const body = await r.json() as any;
  assert.equal(body.scope, 'repository:secret/app:pull');
  assert.equal(body.expires_in, 1800);
  assert.ok(body.refresh_token);
  assert.deepEqual(accessOf(body.access_token), [{ type: 'repository', name: 'secret/app', actions: ['pull'] }]);

  const refreshed = await post({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: 'harbor-registry', client_id: 'x', scope: 'repository:secret/app:pull' });
  assert.equal(refreshed.status, 200);
  assert.equal((await refreshed.json() as any).scope, 'repository:secret/app:pull');

  const wrong = await post({ grant_type: 'password', username: 'alice', password: 'nope', service: 'harbor-registry', client_id: 'c' });
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json() as any).error, 'invalid_grant');
  const grant = await post({ grant_type: 'authorization_code', code: 'x' });
  assert.equal(grant.status, 400);
  assert.equal((await grant.json() as any).error, 'unsupported_grant_type');

  // A password change kills the refresh token.
  const users = await api(t, 'GET', '/users?username=alice', { auth: admin() });
  const id = users.body[0].user_id;
  const pw = await api(t, 'PUT', `/users/${id}/password`, { auth: admin(), body: { new_password: 'Alice-pass2' } });
  assert.equal(pw.status, 200);
  const dead = await post({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: 'harbor-registry', client_id: 'x' });
  assert.equal(dead.status, 401);
  alice = basic('alice', 'Alice-pass2');
});

test('bearer tokens on /v2/: pull works, push with a pull token gets insufficient_scope', async () => {
  const tok = (await getToken(t, ['repository:secret/app:pull,push'], alice)).body.token;
  const get = await fetch(`${t.url}/v2/secret/app/manifests/v1`, { headers: { authorization: `Bearer ${tok}`, accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(get.status, 200);
  const push = await fetch(`${t.url}/v2/secret/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${tok}` } });
  assert.equal(push.status, 401);
  assert.equal(push.headers.get('www-authenticate'),
    `Bearer realm="${t.url}/service/token",service="harbor-registry",scope="repository:secret/app:push",error="insufficient_scope"`);
  assert.equal((await push.json() as any).errors[0].code, 'UNAUTHORIZED');
});

test('Basic credentials directly on /v2/ (as Harbor accepts)', async () => {
  const cases = [
    { name: 'admin pulls private', auth: admin(), path: '/v2/secret/app/manifests/v1', method: 'GET', want: 200 },
    { name: 'guest pulls private', auth: alice, path: '/v2/secret/app/manifests/v1', method: 'GET', want: 200 },
    { name: 'guest may not push', auth: alice, path: '/v2/secret/app/blobs/uploads/', method: 'POST', want: 403 },
    { name: 'wrong password', auth: basic('alice', 'bad'), path: '/v2/secret/app/manifests/v1', method: 'GET', want: 401 },
    { name: 'ping with credentials', auth: alice, path: '/v2/', method: 'GET', want: 200 },
  ];
  for (const c of cases) {
    const r = await fetch(`${t.url}${c.path}`, { method: c.method, headers: { authorization: c.auth, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, c.want, c.name);
    if (c.want === 403) assert.equal((await r.json() as any).errors[0].code, 'DENIED', c.name);
    else await r.arrayBuffer();
  }
});
