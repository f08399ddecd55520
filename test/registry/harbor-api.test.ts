// Harbor's REST API v2.0 over HTTP: projects, members, repositories, artifacts, tags, robots,
// users, paging, error bodies, console login with CSRF.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  addMember, admin, api, basic, createProject, createRobot, createUser, projectRobot, pushImageAs, startHarbor, type HarborTest,
} from './harbor-harness.js';

let t: HarborTest;
let bob: string;

before(async () => {
  t = await startHarbor();
  bob = await createUser(t, 'bob', 'Bob-pass-1');
});
after(() => t.close());

test('ping, health, systeminfo', async () => {
  const ping = await fetch(`${t.url}/api/v2.0/ping`);
  assert.equal(ping.status, 200);
  assert.equal(await ping.text(), 'Pong');
  const health = await api(t, 'GET', '/health');
  assert.equal(health.body.status, 'healthy');
  const info = await api(t, 'GET', '/systeminfo');
  assert.equal(info.body.auth_mode, 'db_auth');
  assert.equal(info.body.external_url, t.url);
  assert.ok(health.headers.get('x-request-id'));
});

test('projects: create, get by name or id, X-Is-Resource-Name, update, delete, errors', async () => {
  const id = await createProject(t, 'team1', false, bob);
  const byName = await api(t, 'GET', '/projects/team1', { auth: bob });
  assert.equal(byName.status, 200);
  assert.equal(byName.body.project_id, id);
  assert.equal(byName.body.owner_name, 'bob');
  assert.equal(byName.body.current_user_role_id, 1, 'the creator is ProjectAdmin');
  assert.deepEqual(byName.body.metadata, { public: 'false' });
  assert.equal((await api(t, 'GET', `/projects/${id}`, { auth: bob })).body.name, 'team1');

  await createProject(t, '123', true);
  const numeric = await api(t, 'GET', '/projects/123', { headers: { 'X-Is-Resource-Name': 'true' } });
  assert.equal(numeric.status, 200);
  assert.equal(numeric.body.name, '123');

  const cases = [
    { name: 'duplicate', body: { project_name: 'team1' }, status: 409, code: 'CONFLICT', message: 'The project named team1 already exists' },
    { name: 'upper case', body: { project_name: 'Team' }, status: 400, code: 'BAD_REQUEST', message: 'project name is not in lower case or contains illegal characters' },
    { name: 'traversal', body: { project_name: '../x' }, status: 400, code: 'BAD_REQUEST', message: 'project name is not in lower case or contains illegal characters' },
    { name: 'bad public', body: { project_name: 'x1', metadata: { public: 'yes' } }, status: 400, code: 'BAD_REQUEST', message: "metadata.public should only be 'true' or 'false', but got: 'yes'" },
    { name: 'no name', body: {}, status: 400, code: 'BAD_REQUEST', message: 'project_name in body is required' },
  ];
  for (const c of cases) {
    const r = await api(t, 'POST', '/projects', { auth: admin(), body: c.body });
    assert.equal(r.status, c.status, c.name);
    assert.deepEqual(r.body, { errors: [{ code: c.code, message: c.message }] }, c.name);
  }
  assert.equal((await api(t, 'POST', '/projects', { body: { project_name: 'anon' } })).status, 401);

  const hidden = await api(t, 'GET', '/projects/team1');
  assert.equal(hidden.status, 401, 'anonymous on private');
  assert.equal((await api(t, 'GET', '/projects/nosuch', { auth: admin() })).status, 404);
  assert.equal((await api(t, 'HEAD', '/projects?project_name=team1')).status, 200);
  assert.equal((await api(t, 'HEAD', '/projects?project_name=nosuch')).status, 404);

  const upd = await api(t, 'PUT', '/projects/team1', { auth: bob, body: { metadata: { public: 'true' } } });
  assert.equal(upd.status, 200);
  assert.equal((await api(t, 'GET', '/projects/team1')).body.metadata.public, 'true');

  await pushImageAs(t, 'team1/app', 'v1', bob);
  const del = await api(t, 'DELETE', '/projects/team1', { auth: bob });
  assert.equal(del.status, 412);
  assert.deepEqual(del.body, { errors: [{ code: 'PRECONDITION', message: 'the project contains repositories, can not be deleted' }] });
  assert.equal((await api(t, 'DELETE', '/projects/team1/repositories/app', { auth: bob })).status, 200);
  assert.equal((await api(t, 'DELETE', '/projects/team1', { auth: bob })).status, 200);
  assert.equal((await api(t, 'GET', '/projects/team1', { auth: admin() })).status, 404);
});

test('projects list: visibility, paging with X-Total-Count and Link, page_size cap', async () => {
  for (let i = 0; i < 12; i++) await createProject(t, `page-${String(i).padStart(2, '0')}`, i % 2 === 0);
  const anon = await api(t, 'GET', '/projects?page_size=100');
  assert.ok(anon.body.every((p: any) => p.metadata.public === 'true'), 'anonymous sees public projects only');
  const first = await api(t, 'GET', '/projects?name=page-&page=1&page_size=5', { auth: admin() });
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-total-count'), '12');
  assert.deepEqual(first.body.map((p: any) => p.name), ['page-00', 'page-01', 'page-02', 'page-03', 'page-04']);
  assert.equal(first.headers.get('link'), '</api/v2.0/projects?name=page-&page=2&page_size=5>; rel="next"');
  const last = await api(t, 'GET', '/projects?name=page-&page=3&page_size=5', { auth: admin() });
  assert.deepEqual(last.body.map((p: any) => p.name), ['page-10', 'page-11']);
  assert.equal(last.headers.get('link'), '</api/v2.0/projects?name=page-&page=2&page_size=5>; rel="prev"');
  const big = await api(t, 'GET', '/projects?page_size=1000', { auth: admin() });
  assert.equal(big.status, 422);
  assert.deepEqual(big.body, { errors: [{ code: 'UNPROCESSABLE_ENTITY', message: 'page_size in query should be less than or equal to 100' }] });
});

test('members: add, list, update, delete; role ids as Harbor', async () => {
  await createProject(t, 'mem', false);
  await createUser(t, 'carol', 'Carol-pass1');
  await addMember(t, 'mem', 'bob', 4);
  const list = await api(t, 'GET', '/projects/mem/members', { auth: admin() });
  assert.deepEqual(list.body.map((m: any) => [m.entity_name, m.role_id, m.role_name, m.entity_type]),
    [['admin', 1, 'projectAdmin', 'u'], ['bob', 4, 'maintainer', 'u']]);
  const bobMember = list.body[1].id;
  assert.equal((await api(t, 'POST', '/projects/mem/members', { auth: admin(), body: { role_id: 2, member_user: { username: 'bob' } } })).status, 409);
  assert.equal((await api(t, 'POST', '/projects/mem/members', { auth: admin(), body: { role_id: 9, member_user: { username: 'carol' } } })).status, 400);
  assert.equal((await api(t, 'POST', '/projects/mem/members', { auth: admin(), body: { role_id: 2, member_user: { username: 'ghost' } } })).status, 404);
  // A Maintainer may read members but not manage them.
  assert.equal((await api(t, 'GET', '/projects/mem/members', { auth: bob })).status, 200);
  assert.equal((await api(t, 'POST', '/projects/mem/members', { auth: bob, body: { role_id: 2, member_user: { username: 'carol' } } })).status, 403);
  assert.equal((await api(t, 'PUT', `/projects/mem/members/${bobMember}`, { auth: admin(), body: { role_id: 2 } })).status, 200);
  assert.equal((await api(t, 'GET', `/projects/mem/members/${bobMember}`, { auth: admin() })).body.role_name, 'developer');
  assert.equal((await api(t, 'DELETE', `/projects/mem/members/${bobMember}`, { auth: admin() })).status, 200);
  assert.equal((await api(t, 'GET', '/projects/mem', { auth: bob })).status, 403);
});

test('repositories, artifacts and tags with Harbor shapes; double-encoded names', async () => {
  await createProject(t, 'shop', false);
  const img = await pushImageAs(t, 'shop/web/front', 'v1', admin());
  await pushImageAs(t, 'shop/web/front', 'v2', admin(), 'other');
  const repos = await api(t, 'GET', '/projects/shop/repositories', { auth: admin() });
  assert.equal(repos.status, 200);
  assert.equal(repos.body.length, 1);
  assert.equal(repos.body[0].name, 'shop/web/front');
  assert.equal(repos.body[0].artifact_count, 2);
  assert.equal(repos.body[0].pull_count, 0);
  const one = await api(t, 'GET', '/projects/shop/repositories/web%252Ffront', { auth: admin() });
  assert.equal(one.status, 200);
  assert.equal(one.body.id, repos.body[0].id);

  const arts = await api(t, 'GET', '/projects/shop/repositories/web%252Ffront/artifacts', { auth: admin() });
  assert.equal(arts.headers.get('x-total-count'), '2');
  const a = arts.body.find((x: any) => x.digest === img.digest);
  assert.equal(a.manifest_media_type, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(a.repository_name, 'shop/web/front');
  assert.equal(a.size, img.manifest.length + img.config.length + img.layers.reduce((n, l) => n + l.length, 0));
  assert.deepEqual(a.tags.map((x: any) => x.name), ['v1']);
  assert.ok(Date.parse(a.push_time) > 0);
  const noTags = await api(t, 'GET', '/projects/shop/repositories/web%252Ffront/artifacts?with_tag=false', { auth: admin() });
  assert.equal(noTags.body[0].tags, null);

  const byTag = await api(t, 'GET', '/projects/shop/repositories/web%252Ffront/artifacts/v1', { auth: admin() });
  assert.equal(byTag.body.digest, img.digest);
  const tags = await api(t, 'GET', `/projects/shop/repositories/web%252Ffront/artifacts/${img.digest}/tags`, { auth: admin() });
  assert.deepEqual(tags.body.map((x: any) => x.name), ['v1']);
  assert.equal((await api(t, 'DELETE', `/projects/shop/repositories/web%252Ffront/artifacts/${img.digest}/tags/v2`, { auth: admin() })).status, 404, 'tag of another artifact');
  assert.equal((await api(t, 'DELETE', `/projects/shop/repositories/web%252Ffront/artifacts/${img.digest}/tags/v1`, { auth: admin() })).status, 200);
  assert.equal((await fetch(`${t.url}/v2/shop/web/front/manifests/v1`, { method: 'HEAD', headers: { authorization: admin() } })).status, 404);
  assert.equal((await api(t, 'DELETE', `/projects/shop/repositories/web%252Ffront/artifacts/${img.digest}`, { auth: admin() })).status, 200);
  assert.equal((await api(t, 'GET', `/projects/shop/repositories/web%252Ffront/artifacts/${img.digest}`, { auth: admin() })).status, 404);
});

test('robots: create (secret shown once), get, list, update, disable, refresh, delete', async () => {
  await createProject(t, 'ci', false);
  const created = await api(t, 'POST', '/robots', { auth: admin(), body: projectRobot('builder', 'ci', ['pull', 'push'], { duration: 30 }) });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'robot$ci+builder');
  assert.match(created.body.secret, /^[A-Za-z0-9]{32}$/);
  assert.equal(created.headers.get('location'), `/api/v2.0/robots/${created.body.id}`);
  // expires_at is creation + 30 days; creation_time is rendered separately and may fall in the
  // next second, so allow that one second.
  const expectedExpiry = Math.floor(Date.parse(created.body.creation_time) / 1000) + 30 * 86400;
  assert.ok([expectedExpiry - 1, expectedExpiry].includes(created.body.expires_at), `expires_at ${created.body.expires_at} is creation_time + 30 days`);
  const id = created.body.id;

  const got = await api(t, 'GET', `/robots/${id}`, { auth: admin() });
  assert.equal(got.body.name, 'robot$ci+builder');
  assert.equal(got.body.level, 'project');
  assert.equal(got.body.secret, undefined, 'the secret is never shown again');
  assert.deepEqual(got.body.permissions[0].access.map((a: any) => a.action), ['pull', 'push']);
  const pid = (await api(t, 'GET', '/projects/ci', { auth: admin() })).body.project_id;
  const list = await api(t, 'GET', `/robots?q=Level=project,ProjectID=${pid}`, { auth: admin() });
  assert.deepEqual(list.body.map((r: any) => r.name), ['robot$ci+builder']);

  const robotAuth = basic(created.body.name, created.body.secret);
  assert.equal((await fetch(`${t.url}/v2/`, { headers: { authorization: robotAuth } })).status, 200);

  const upd = await api(t, 'PUT', `/robots/${id}`, { auth: admin(), body: { ...projectRobot('builder', 'ci', ['pull']), name: 'robot$ci+builder', duration: -1, disable: true } });
  assert.equal(upd.status, 200, JSON.stringify(upd.body));
  const after1 = await api(t, 'GET', `/robots/${id}`, { auth: admin() });
  assert.equal(after1.body.disable, true);
  assert.equal(after1.body.expires_at, -1);
  assert.equal((await fetch(`${t.url}/v2/`, { headers: { authorization: robotAuth } })).status, 401, 'disabled robot');
  await api(t, 'PUT', `/robots/${id}`, { auth: admin(), body: { ...projectRobot('builder', 'ci', ['pull']), duration: -1, disable: false } });
  assert.equal((await fetch(`${t.url}/v2/`, { headers: { authorization: robotAuth } })).status, 200, 'enabled again');

  const rename = await api(t, 'PUT', `/robots/${id}`, { auth: admin(), body: { ...projectRobot('other', 'ci', ['pull']) } });
  assert.deepEqual(rename.body, { errors: [{ code: 'BAD_REQUEST', message: 'cannot update the level or name of robot' }] });

  const refresh = await api(t, 'PATCH', `/robots/${id}`, { auth: admin(), body: {} });
  assert.equal(refresh.status, 200);
  assert.match(refresh.body.secret, /^[A-Za-z0-9]{32}$/);
  assert.equal((await fetch(`${t.url}/v2/`, { headers: { authorization: robotAuth } })).status, 401, 'old secret dead');
  assert.equal((await fetch(`${t.url}/v2/`, { headers: { authorization: basic(created.body.name, refresh.body.secret) } })).status, 200);
  const weak = await api(t, 'PATCH', `/robots/${id}`, { auth: admin(), body: { secret: 'short' } });
  assert.equal(weak.status, 400);

  const bad = [
    { name: 'bad name', body: projectRobot('Bad+Name', 'ci', ['pull']), msg: 'robot name is not in lower case or contains illegal characters' },
    { name: 'duration 0', body: projectRobot('d0', 'ci', ['pull'], { duration: 0 }), msg: 'bad request error duration input: 0, duration must be either -1(Never) or a positive integer' },
    { name: 'bad level', body: projectRobot('lv', 'ci', ['pull'], { level: 'global' }), msg: 'bad request error level input: global' },
    { name: 'no permissions', body: projectRobot('np', 'ci', ['pull'], { permissions: [] }), msg: 'bad request empty permission' },
    { name: 'unknown action', body: projectRobot('ua', 'ci', ['fly']), msg: 'bad request permission: repository:fly' },
    { name: 'push without pull', body: projectRobot('pp', 'ci', ['push']), msg: 'bad request permission: repository:push requires repository:pull' },
  ];
  for (const c of bad) {
    const r = await api(t, 'POST', '/robots', { auth: admin(), body: c.body });
    assert.equal(r.status, 400, c.name);
    assert.equal(r.body.errors[0].message, c.msg, c.name);
  }
  assert.equal((await api(t, 'POST', '/robots', { auth: admin(), body: projectRobot('builder', 'ci', ['pull']) })).status, 409);

  const sys = await createRobot(t, { name: 'mirror', level: 'system', duration: -1, permissions: [{ kind: 'project', namespace: '*', access: [{ resource: 'repository', action: 'pull' }] }] });
  assert.equal(sys.name, 'robot$mirror');

  assert.equal((await api(t, 'DELETE', `/robots/${id}`, { auth: admin() })).status, 200);
  assert.equal((await api(t, 'GET', `/robots/${id}`, { auth: admin() })).status, 404);
  assert.equal((await fetch(`${t.url}/v2/`, { headers: { authorization: basic(created.body.name, refresh.body.secret) } })).status, 401, 'deleted robot');
});

test('a configurable robot prefix', async () => {
  const t2 = await startHarbor({ robotPrefix: 'bot-' });
  try {
    const r = await createRobot(t2, projectRobot('ci', 'library', ['pull']));
    const shadow = await api(t2, 'POST', '/users', { auth: admin(), body: { username: 'bot-library', password: 'Shadow-pass1' } });
    assert.equal(shadow.status, 400, 'a user name in the robot namespace');
    assert.equal(r.name, 'bot-library+ci');
    assert.equal((await fetch(`${t2.url}/v2/`, { headers: { authorization: basic(r.name, r.secret) } })).status, 200);
  } finally {
    await t2.close();
  }
});

test('users: admin creates, others may not; sysadmin_flag in the body is ignored', async () => {
  const r = await api(t, 'POST', '/users', { auth: admin(), body: { username: 'dave', password: 'Dave-pass1', email: 'd@x.test', sysadmin_flag: true, has_admin_role: true } });
  assert.equal(r.status, 201);
  const id = Number(r.headers.get('location')!.split('/').pop());
  const dave = await api(t, 'GET', `/users/${id}`, { auth: admin() });
  assert.equal(dave.body.username, 'dave');
  assert.equal(dave.body.sysadmin_flag, false);
  assert.equal(dave.body.password, undefined);
  assert.equal((await api(t, 'POST', '/users', { auth: bob, body: { username: 'eve', password: 'Eve-pass-1' } })).status, 403);
  assert.equal((await api(t, 'POST', '/users', { body: { username: 'eve', password: 'Eve-pass-1' } })).status, 401);
  const weak = await api(t, 'POST', '/users', { auth: admin(), body: { username: 'weak', password: 'password' } });
  assert.equal(weak.status, 400);
  assert.equal(weak.body.errors[0].message, 'the password or secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number');
  assert.equal((await api(t, 'POST', '/users', { auth: admin(), body: { username: 'dave', password: 'Dave-pass1' } })).status, 409);
  assert.equal((await api(t, 'GET', '/users/current', { auth: basic('dave', 'Dave-pass1') })).body.username, 'dave');
  assert.equal((await api(t, 'GET', '/users', { auth: bob })).status, 403);
  assert.equal((await api(t, 'PUT', `/users/${id}/sysadmin`, { auth: admin(), body: { sysadmin_flag: true } })).status, 200);
  assert.equal((await api(t, 'GET', '/users', { auth: basic('dave', 'Dave-pass1') })).status, 200, 'now an admin');
});

test('console login: cookie session, CSRF token on unsafe methods, log out', async () => {
  const bad = await fetch(`${t.url}/c/login`, { method: 'POST', body: new URLSearchParams({ principal: 'bob', password: 'wrong' }) });
  assert.equal(bad.status, 401);
  const login = await fetch(`${t.url}/c/login`, { method: 'POST', body: new URLSearchParams({ principal: 'bob', password: 'Bob-pass-1' }) });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0];
  assert.match(cookie, /^sid=/);
  assert.match(login.headers.get('set-cookie')!, /HttpOnly/);
  const csrf = login.headers.get('x-harbor-csrf-token')!;
  assert.ok(csrf);

  const me = await api(t, 'GET', '/users/current', { headers: { cookie } });
  assert.equal(me.body.username, 'bob');
  const noCsrf = await api(t, 'POST', '/projects', { headers: { cookie }, body: { project_name: 'viacookie' } });
  assert.equal(noCsrf.status, 403);
  assert.deepEqual(noCsrf.body, { errors: [{ code: 'FORBIDDEN', message: 'CSRF token invalid' }] });
  const withCsrf = await api(t, 'POST', '/projects', { headers: { cookie, 'X-Harbor-CSRF-Token': csrf }, body: { project_name: 'viacookie' } });
  assert.equal(withCsrf.status, 201);

  const out = await fetch(`${t.url}/c/log_out`, { headers: { cookie } });
  assert.equal(out.status, 200);
  assert.equal((await api(t, 'GET', '/users/current', { headers: { cookie } })).status, 401);

  const robot = await createRobot(t, projectRobot('nologin', 'library', ['pull']));
  const rl = await fetch(`${t.url}/c/login`, { method: 'POST', body: new URLSearchParams({ principal: robot.name, password: robot.secret }) });
  assert.equal(rl.status, 401, 'robots cannot sign into the console');
});

test('unknown API paths and methods', async () => {
  const r = await api(t, 'GET', '/nothing-here');
  assert.equal(r.status, 404);
  assert.equal(r.body.errors[0].code, 'NOT_FOUND');
  const m = await api(t, 'PATCH', '/projects', { auth: admin(), body: {} });
  assert.equal(m.status, 405);
  assert.equal(m.body.errors[0].code, 'METHOD_NOT_ALLOWED');
});
