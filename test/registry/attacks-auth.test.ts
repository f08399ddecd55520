// Auth-side attack cases of reference/registry.md section 7 (items 8-11, 15): token tampering,
// expiry, scope escalation, cross-project access, robot escalation, IDOR on management APIs,
// role boundaries, catalog and listing leaks, timing of unknown users, brute-force throttling,
// and no credentials in logs. Each gets the error Harbor/distribution give and discloses nothing.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK } from 'jose';
import {
  ADMIN_PASSWORD, accessOf, addMember, admin, api, basic, createProject, createRobot, createUser, getToken, projectRobot, pushImageAs,
  startHarbor, type HarborTest,
} from './harbor-harness.js';

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json';
const T0 = new Date('2026-03-01T10:00:00Z');
let t: HarborTest;
const secrets: string[] = [ADMIN_PASSWORD];
const users: Record<string, string> = {};

async function user(name: string, role?: { project: string; id: number }): Promise<string> {
  const pw = `${name[0].toUpperCase()}${name}-Pw-${randomUUID().slice(0, 8)}1`;
  secrets.push(pw);
  users[name] = await createUser(t, name, pw);
  if (role) await addMember(t, role.project, name, role.id);
  return users[name];
}

const v2 = (path: string, auth?: string, method = 'GET', body?: Buffer) =>
  fetch(`${t.url}/v2/${path}`, { method, body, headers: { ...(auth ? { authorization: auth } : {}), accept: ACCEPT } });
const bearer = (tok: string) => `Bearer ${tok}`;

before(async () => {
  t = await startHarbor({ now: T0 });
  await createProject(t, 'alpha', false);
  await createProject(t, 'beta', false);
  await createProject(t, 'open', true);
  await pushImageAs(t, 'alpha/app', 'v1', admin());
  await pushImageAs(t, 'beta/app', 'v1', admin());
  await pushImageAs(t, 'open/app', 'v1', admin());
  await user('adam', { project: 'alpha', id: 1 }); // ProjectAdmin of alpha
  await user('mia', { project: 'alpha', id: 4 }); // Maintainer
  await user('dev', { project: 'alpha', id: 2 }); // Developer
  await user('gus', { project: 'alpha', id: 3 }); // Guest
  await user('lim', { project: 'alpha', id: 5 }); // LimitedGuest
  await user('bea', { project: 'beta', id: 2 }); // Developer of beta only
  await user('outsider');
});
after(() => t.close());

test('tampered, forged and mis-addressed tokens are refused with invalid_token', async () => {
  const good = (await getToken(t, ['repository:alpha/app:pull'], admin())).body.token as string;
  assert.equal((await v2('alpha/app/manifests/v1', bearer(good))).status, 200, 'the untampered token works');
  const key = createPrivateKey(readFileSync(join(t.dir, 'auth', 'token-signing.key')));
  const kid = t.harbor.signer.kid;
  const pubPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
  const { privateKey: other } = generateKeyPairSync('ed25519');
  const [h, p, s] = good.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const iat = Math.floor(T0.getTime() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const sign = (c: Record<string, unknown>, hdr: Record<string, unknown> = {}, k = key) =>
    new SignJWT({ ...claims, ...c }).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid, ...hdr }).sign(k);
  const cases = [
    { name: 'payload swapped to beta', token: `${h}.${b64({ ...claims, access: [{ type: 'repository', name: 'beta/app', actions: ['pull'] }] })}.${s}`, path: 'beta/app/manifests/v1' },
    { name: 'alg none', token: `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`, path: 'alpha/app/manifests/v1' },
    { name: 'HS256 keyed with the public key (alg confusion)', token: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(pubPem)), path: 'alpha/app/manifests/v1' },
    { name: 'signed by an attacker key', token: await sign({}, {}, other), path: 'alpha/app/manifests/v1' },
    { name: 'attacker key embedded as jwk', token: await sign({}, { jwk: await exportJWK(createPublicKey(other)) }, other), path: 'alpha/app/manifests/v1' },
    { name: 'wrong audience', token: await sign({ aud: 'another-registry' }), path: 'alpha/app/manifests/v1' },
    { name: 'wrong issuer', token: await sign({ iss: 'evil' }), path: 'alpha/app/manifests/v1' },
    { name: 'expired', token: await sign({ iat: iat - 7200, nbf: iat - 7200, exp: iat - 3600 }), path: 'alpha/app/manifests/v1' },
    { name: 'not yet valid', token: await sign({ nbf: iat + 3600, exp: iat + 7200 }), path: 'alpha/app/manifests/v1' },
    { name: 'refresh token as access token', token: await t.harbor.signer.signRefresh({ sub: 'admin', kind: 'user' }, 1), path: 'alpha/app/manifests/v1' },
  ];
  for (const c of cases) {
    const r = await v2(c.path, bearer(c.token));
    assert.equal(r.status, 401, c.name);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/, c.name);
    const body = await r.json() as any;
    assert.equal(body.errors[0].code, 'UNAUTHORIZED', c.name);
  }
});

test('tokens expire after 30 minutes (Harbor token_expiration) plus 60 s leeway', async () => {
  const tok = (await getToken(t, ['repository:alpha/app:pull'], admin())).body.token;
  t.setNow(new Date(T0.getTime() + (30 * 60 + 59) * 1000));
  assert.equal((await v2('alpha/app/manifests/v1', bearer(tok))).status, 200);
  t.setNow(new Date(T0.getTime() + (30 * 60 + 61) * 1000));
  const r = await v2('alpha/app/manifests/v1', bearer(tok));
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate')!, /error="invalid_token"/);
  t.setNow(T0);
});

test('scope escalation: a token never carries or honours more than the account may do', async () => {
  const asks = [
    { name: 'guest asks push', auth: () => users.gus, scope: 'repository:alpha/app:push,pull', want: ['pull'] },
    { name: 'guest asks *', auth: () => users.gus, scope: 'repository:alpha/app:*', want: ['pull'] },
    { name: 'guest asks with a class suffix', auth: () => users.gus, scope: 'repository(plugin):alpha/app:delete,push', want: [] },
    { name: 'developer asks delete', auth: () => users.dev, scope: 'repository:alpha/app:delete,pull,push', want: ['pull', 'push'] },
    { name: 'outsider asks pull of private', auth: () => users.outsider, scope: 'repository:alpha/app:pull', want: [] },
    { name: 'host-prefixed name is not the project', auth: () => users.bea, scope: 'repository:127.0.0.1:5000/beta/app:pull', want: [] },
    { name: 'anonymous asks push on public', auth: () => undefined, scope: 'repository:open/app:push,pull', want: ['pull'] },
  ];
  for (const a of asks) {
    const r = await getToken(t, [a.scope], a.auth());
    assert.equal(r.status, 200, a.name);
    assert.deepEqual(accessOf(r.body.token)[0].actions, a.want, a.name);
  }
  // A pull token used to write, and a token for one repository used on another.
  const pullTok = (await getToken(t, ['repository:alpha/app:pull'], users.dev)).body.token;
  const writes = [
    { name: 'upload', path: 'alpha/app/blobs/uploads/', method: 'POST' },
    { name: 'manifest PUT', path: 'alpha/app/manifests/v9', method: 'PUT' },
    { name: 'manifest DELETE', path: 'alpha/app/manifests/v1', method: 'DELETE' },
    { name: 'other repository', path: 'alpha/other/manifests/v1', method: 'GET' },
    { name: 'other project', path: 'beta/app/manifests/v1', method: 'GET' },
  ];
  for (const w of writes) {
    const r = await v2(w.path, bearer(pullTok), w.method, w.method === 'PUT' ? Buffer.from('{}') : undefined);
    assert.equal(r.status, 401, w.name);
    assert.match(r.headers.get('www-authenticate')!, /error="insufficient_scope"/, w.name);
  }
  const still = await v2('alpha/app/manifests/v1', users.gus);
  assert.equal(still.status, 200);
});

test('cross-project access: members of one project reach nothing in another', async () => {
  const cases = [
    { name: 'beta developer pulls alpha (Basic)', auth: users.bea, path: 'alpha/app/manifests/v1', method: 'GET', want: 403 },
    { name: 'beta developer pushes alpha (Basic)', auth: users.bea, path: 'alpha/app/blobs/uploads/', method: 'POST', want: 403 },
    { name: 'alpha admin pulls beta (Basic)', auth: users.adam, path: 'beta/app/manifests/v1', method: 'GET', want: 403 },
    { name: 'anyone pulls public', auth: users.bea, path: 'open/app/manifests/v1', method: 'GET', want: 200 },
    { name: 'but may not push to public', auth: users.bea, path: 'open/app/blobs/uploads/', method: 'POST', want: 403 },
  ];
  for (const c of cases) {
    const r = await v2(c.path, c.auth, c.method);
    await r.arrayBuffer();
    assert.equal(r.status, c.want, c.name);
  }
  assert.equal((await api(t, 'GET', '/projects/alpha/repositories', { auth: users.bea })).status, 403);
  assert.equal((await api(t, 'GET', '/projects/alpha/repositories/app/artifacts', { auth: users.bea })).status, 403);
  assert.equal((await api(t, 'DELETE', '/projects/alpha/repositories/app', { auth: users.bea })).status, 403);
});

test('robot escalation: project scope, pull-only, disabled, expired, deleted, refreshed', async () => {
  const puller = await createRobot(t, projectRobot('puller', 'alpha', ['pull']));
  const pusher = await createRobot(t, projectRobot('pusher', 'alpha', ['pull', 'push'], { duration: 1 }));
  secrets.push(puller.secret, pusher.secret);
  const p = basic(puller.name, puller.secret);
  const cases = [
    { name: 'pull-only robot pulls', auth: p, path: 'alpha/app/manifests/v1', method: 'GET', want: 200 },
    { name: 'pull-only robot pushes', auth: p, path: 'alpha/app/blobs/uploads/', method: 'POST', want: 403 },
    { name: 'pull-only robot deletes', auth: p, path: 'alpha/app/manifests/v1', method: 'DELETE', want: 403 },
    { name: 'alpha robot reaches beta', auth: basic(pusher.name, pusher.secret), path: 'beta/app/manifests/v1', method: 'GET', want: 403 },
    { name: 'alpha robot pushes beta', auth: basic(pusher.name, pusher.secret), path: 'beta/app/blobs/uploads/', method: 'POST', want: 403 },
    { name: 'robot name with another project', auth: basic(pusher.name.replace('alpha', 'beta'), pusher.secret), path: 'beta/app/manifests/v1', method: 'GET', want: 401 },
  ];
  for (const c of cases) {
    const r = await v2(c.path, c.auth, c.method);
    await r.arrayBuffer();
    assert.equal(r.status, c.want, c.name);
  }
  const tok = await getToken(t, ['repository:alpha/app:pull,push', 'repository:beta/app:pull'], p);
  assert.deepEqual(accessOf(tok.body.token).map((a) => a.actions), [['pull'], []]);

  // A token outlives nothing: disabling the robot kills its token and its secret at once.
  const live = (await getToken(t, ['repository:alpha/app:pull'], p)).body.token;
  await api(t, 'PUT', `/robots/${puller.id}`, { auth: admin(), body: { ...projectRobot('puller', 'alpha', ['pull']), disable: true } });
  assert.equal((await v2('alpha/app/manifests/v1', bearer(live))).status, 401, 'token of a disabled robot');
  assert.equal((await v2('alpha/app/manifests/v1', p)).status, 401, 'secret of a disabled robot');
  assert.equal((await getToken(t, ['repository:alpha/app:pull'], p)).status, 401);

  // Expiry: duration 1 day.
  const pu = basic(pusher.name, pusher.secret);
  assert.equal((await v2('alpha/app/manifests/v1', pu)).status, 200);
  t.setNow(new Date(T0.getTime() + 86400_000 + 1000));
  assert.equal((await v2('alpha/app/manifests/v1', pu)).status, 401, 'expired robot');
  t.setNow(T0);

  // Refresh: the old secret dies at once; delete: the new one dies too.
  const fresh = await api(t, 'PATCH', `/robots/${pusher.id}`, { auth: admin(), body: {} });
  secrets.push(fresh.body.secret);
  assert.equal((await v2('alpha/app/manifests/v1', pu)).status, 401, 'old secret after refresh');
  const pu2 = basic(pusher.name, fresh.body.secret);
  assert.equal((await v2('alpha/app/manifests/v1', pu2)).status, 200);
  await api(t, 'DELETE', `/robots/${pusher.id}`, { auth: admin() });
  assert.equal((await v2('alpha/app/manifests/v1', pu2)).status, 401, 'deleted robot');

  // Robots cannot manage robots, projects or users through the API.
  const r2 = await createRobot(t, projectRobot('api', 'alpha', ['pull']));
  secrets.push(r2.secret);
  const ra = basic(r2.name, r2.secret);
  assert.equal((await api(t, 'POST', '/robots', { auth: ra, body: projectRobot('spawn', 'alpha', ['pull', 'push']) })).status, 403);
  assert.equal((await api(t, 'POST', '/projects', { auth: ra, body: { project_name: 'robotmade' } })).status, 403);
  assert.equal((await api(t, 'GET', '/users', { auth: ra })).status, 403);
});

test('robot creation and IDOR: a project admin administers only their own project robots', async () => {
  const betaRobot = await createRobot(t, projectRobot('betabot', 'beta', ['pull']));
  secrets.push(betaRobot.secret);
  const cases = [
    { name: 'project robot for another project', body: projectRobot('x1', 'beta', ['pull']), want: 403 },
    { name: 'system robot', body: { name: 'x2', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: 'alpha', access: [{ resource: 'repository', action: 'pull' }] }] }, want: 403 },
    { name: 'all projects wildcard', body: { name: 'x3', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }] }, want: 403 },
    { name: 'project robot with two namespaces', body: { ...projectRobot('x4', 'alpha', ['pull']), permissions: [{ kind: 'project', namespace: 'alpha', access: [{ resource: 'repository', action: 'pull' }] }, { kind: 'project', namespace: 'beta', access: [{ resource: 'repository', action: 'pull' }] }] }, want: 400 },
    { name: 'maintainer creating a robot', body: projectRobot('x5', 'alpha', ['pull']), want: 403, auth: () => users.mia },
  ];
  for (const c of cases) {
    const r = await api(t, 'POST', '/robots', { auth: c.auth?.() ?? users.adam, body: c.body });
    assert.equal(r.status, c.want, `${c.name}: ${JSON.stringify(r.body)}`);
  }
  const own = await api(t, 'POST', '/robots', { auth: users.adam, body: projectRobot('mine', 'alpha', ['pull', 'push']) });
  assert.equal(own.status, 201);
  secrets.push(own.body.secret);
  const idor = [
    { name: 'GET', method: 'GET', body: undefined },
    { name: 'PUT', method: 'PUT', body: projectRobot('betabot', 'beta', ['pull', 'push']) },
    { name: 'PATCH secret', method: 'PATCH', body: {} },
    { name: 'DELETE', method: 'DELETE', body: undefined },
  ];
  for (const c of idor) {
    const r = await api(t, c.method, `/robots/${betaRobot.id}`, { auth: users.adam, body: c.body });
    assert.equal(r.status, 403, `robot of beta by id: ${c.name}`);
  }
  const move = await api(t, 'PUT', `/robots/${own.body.id}`, { auth: users.adam, body: projectRobot('mine', 'beta', ['pull']) });
  assert.equal(move.status, 403, 'moving a robot into a project one does not administer');
  const list = await api(t, 'GET', '/robots', { auth: users.adam });
  assert.equal(list.status, 403, 'listing every robot is for admins');
  const betaId = (await api(t, 'GET', '/projects/beta', { auth: admin() })).body.project_id;
  assert.equal((await api(t, 'GET', `/robots?q=Level=project,ProjectID=${betaId}`, { auth: users.adam })).status, 403);
});

test('role boundaries and member IDOR', async () => {
  const betaMembers = await api(t, 'GET', '/projects/beta/members', { auth: admin() });
  const beaMember = betaMembers.body.find((m: any) => m.entity_name === 'bea').id;
  const cases = [
    { name: 'maintainer edits project metadata (CVE-2024-22278)', auth: () => users.mia, method: 'PUT', path: '/projects/alpha', body: { metadata: { public: 'true' } }, want: 403 },
    { name: 'maintainer deletes the project', auth: () => users.mia, method: 'DELETE', path: '/projects/alpha', want: 403 },
    { name: 'developer deletes an artifact', auth: () => users.dev, method: 'DELETE', path: '/projects/alpha/repositories/app/artifacts/v1', want: 403 },
    { name: 'limited guest lists members', auth: () => users.lim, method: 'GET', path: '/projects/alpha/members', want: 403 },
    { name: 'guest lists members', auth: () => users.gus, method: 'GET', path: '/projects/alpha/members', want: 200 },
    { name: 'alpha admin edits a beta member through alpha', auth: () => users.adam, method: 'PUT', path: `/projects/alpha/members/${beaMember}`, body: { role_id: 1 }, want: 404 },
    { name: 'alpha admin deletes a beta member through alpha', auth: () => users.adam, method: 'DELETE', path: `/projects/alpha/members/${beaMember}`, want: 404 },
    { name: 'alpha admin reads a beta member through alpha', auth: () => users.adam, method: 'GET', path: `/projects/alpha/members/${beaMember}`, want: 404 },
    { name: 'user makes themselves admin', auth: () => users.adam, method: 'PUT', path: '/users/2/sysadmin', body: { sysadmin_flag: true }, want: 403 },
  ];
  for (const c of cases) {
    const r = await api(t, c.method, c.path, { auth: c.auth(), body: c.body });
    assert.equal(r.status, c.want, `${c.name}: ${JSON.stringify(r.body)}`);
  }
  const del = await v2('alpha/app/manifests/v1', users.dev, 'DELETE');
  assert.equal(del.status, 403, 'developer DELETE on /v2/');
  assert.equal((await api(t, 'GET', '/projects/alpha', { auth: admin() })).body.metadata.public, 'false');
});

test('catalog and listing leaks', async () => {
  const cat = [
    { name: 'anonymous', auth: undefined, want: 401 },
    { name: 'member', auth: () => users.adam, want: 403 },
    { name: 'admin', auth: admin, want: 200 },
  ];
  for (const c of cat) {
    const r = await v2('_catalog', c.auth?.());
    assert.equal(r.status, c.want, c.name);
    const body = await r.json() as any;
    if (c.want !== 200) assert.ok(!JSON.stringify(body).includes('alpha/app'), c.name);
  }
  // Alternate spellings of the catalog path (Harbor CVE-2020-29662) never list anything.
  for (const path of ['/v2/_catalog/', '/v2//_catalog', '/v2/%5Fcatalog', '/v2/./_catalog', '/api/v2.0/../../v2/_catalog']) {
    const r = await fetch(`${t.url}${path}`, { headers: { authorization: users.adam } });
    const text = await r.text();
    assert.ok(r.status === 401 || r.status === 403 || r.status === 404, `${path}: ${r.status}`);
    assert.ok(!text.includes('alpha/app') && !text.includes('repositories'), `${path} lists repositories`);
  }
  const userTok = (await getToken(t, ['registry:catalog:*'], users.adam)).body.token;
  assert.equal((await v2('_catalog', bearer(userTok))).status, 401);

  const anonRepos = await api(t, 'GET', '/repositories?page_size=100');
  assert.deepEqual(anonRepos.body.map((r: any) => r.name), ['open/app']);
  const beaRepos = await api(t, 'GET', '/repositories?page_size=100', { auth: users.bea });
  assert.deepEqual(beaRepos.body.map((r: any) => r.name).sort(), ['beta/app', 'open/app']);
  const projects = await api(t, 'GET', '/projects?page_size=100', { auth: users.bea });
  assert.deepEqual(projects.body.map((p: any) => p.name).sort(), ['beta', 'library', 'open']);
  assert.equal((await api(t, 'GET', '/projects/alpha/repositories')).status, 401);
});

test('mass assignment: owner and ids in bodies are ignored', async () => {
  const r = await api(t, 'POST', '/projects', { auth: users.outsider, body: { project_name: 'mine1', owner_id: 1, project_id: 1 } });
  assert.equal(r.status, 201);
  const p = await api(t, 'GET', '/projects/mine1', { auth: users.outsider });
  assert.equal(p.body.owner_name, 'outsider');
  assert.notEqual(p.body.project_id, 1);
});

test('password checks cost the same for unknown users and wrong passwords', async () => {
  const time = async (auth: string) => {
    const s = process.hrtime.bigint();
    const r = await fetch(`${t.url}/service/token?service=harbor-registry`, { headers: { authorization: auth } });
    await r.arrayBuffer();
    assert.equal(r.status, 401);
    return Number(process.hrtime.bigint() - s) / 1e6;
  };
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 7; i++) {
    unknown.push(await time(basic(`ghost${i}`, `Wrong-pass${i}`)));
    wrong.push(await time(basic('outsider', `Wrong-pass${i}`)));
  }
  // Without the dummy hash an unknown user answers in well under a millisecond while a wrong
  // password pays the scrypt cost (tens of ms): a ratio of several hundred. Allow 3x for noise.
  const ratio = median(unknown) / median(wrong);
  assert.ok(ratio > 1 / 3 && ratio < 3, `unknown ${median(unknown).toFixed(1)} ms vs wrong ${median(wrong).toFixed(1)} ms`);
});

test('brute force on /service/token is throttled per client and name', async () => {
  await user('target');
  for (let i = 0; i < 10; i++) {
    assert.equal((await getToken(t, [], basic('target', `Nope-${i}x`))).status, 401);
  }
  const locked = await getToken(t, [], users.target);
  assert.equal(locked.status, 429, 'even the right password waits during the lockout');
  assert.equal(locked.body.errors[0].code, 'TOO_MANY_REQUEST');
  t.setNow(new Date(T0.getTime() + 6 * 60_000));
  assert.equal((await getToken(t, [], users.target)).status, 200, 'the lockout ends');
  t.setNow(T0);
});

test('a password change takes effect at once, cached checks included', async () => {
  const pw = 'Temp-pass-11';
  const auth = await createUser(t, 'changer', pw);
  secrets.push(pw);
  assert.equal((await api(t, 'GET', '/users/current', { auth })).status, 200);
  const id = (await api(t, 'GET', '/users/current', { auth })).body.user_id;
  assert.equal((await api(t, 'PUT', `/users/${id}/password`, { auth, body: { old_password: pw, new_password: 'Temp-pass-22' } })).status, 200);
  secrets.push('Temp-pass-22');
  assert.equal((await api(t, 'GET', '/users/current', { auth })).status, 401);
  assert.equal((await v2('open/app/manifests/v1', auth)).status, 401);
});

test('no credential, secret or token ever reaches the log', async () => {
  const tok = (await getToken(t, ['repository:alpha/app:pull'], admin())).body.token as string;
  await v2('alpha/app/manifests/v1', bearer(tok.slice(0, -3) + 'AAA'));
  const logs = t.logs();
  assert.ok(logs.length > 0, 'the module did log');
  for (const s of secrets) {
    assert.ok(!logs.includes(s), 'a password or secret is in the log');
    assert.ok(!logs.includes(Buffer.from(`admin:${s}`).toString('base64')), 'a Basic header is in the log');
  }
  assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(logs), 'a JWT is in the log');
});
