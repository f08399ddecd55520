import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openRegistryDb } from '../db.js';
import { MetaStore, MetaError } from './store.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { Role } from './roles.js';

async function fresh(now = () => new Date('2026-05-01T00:00:00Z')) {
  const db = openRegistryDb(':memory:');
  const store = new MetaStore(db, now);
  await store.bootstrap(await hashPassword('Admin-pass1'), (h) => verifyPassword('Admin-pass1', h));
  return { db, store };
}

test('bootstrap: admin is a sysadmin, library is public and owned by admin; migrations are idempotent', async () => {
  const { db, store } = await fresh();
  const admin = store.getUserByName('admin')!;
  assert.equal(admin.sysadmin, true);
  const lib = store.getProject('library')!;
  assert.equal(lib.public, true);
  assert.equal(lib.ownerName, 'admin');
  assert.equal(store.roleOf(lib.id, admin.id), Role.ProjectAdmin);
  new MetaStore(db);
  assert.equal(store.listProjects().length, 1);
  assert.deepEqual(db.prepare("SELECT version FROM schema_migrations WHERE component = 'meta'").all(), [{ version: 1 }]);
});

test('bootstrap: a changed configured password replaces the stored one; a deleted library stays deleted', async () => {
  const { store } = await fresh();
  store.deleteProject(store.getProject('library')!.id);
  await store.bootstrap(await hashPassword('New-admin-1'), (h) => verifyPassword('New-admin-1', h));
  const admin = store.getUserByName('admin')!;
  assert.equal(await verifyPassword('New-admin-1', admin.passwordHash), true);
  assert.equal(admin.credentialVersion, 2);
  assert.equal(store.getProject('library'), undefined);
});

test('projects, members and errors', async () => {
  const { store } = await fresh();
  const u = store.createUser({ username: 'u1', passwordHash: 'x' });
  const p = store.createProject('p1', false, u.id);
  assert.equal(store.roleOf(p.id, u.id), Role.ProjectAdmin, 'creator becomes ProjectAdmin');
  assert.throws(() => store.createProject('p1', true, u.id), (e: unknown) => e instanceof MetaError && e.code === 'CONFLICT');
  assert.throws(() => store.createUser({ username: 'u1', passwordHash: 'y' }), (e: unknown) => e instanceof MetaError && e.code === 'CONFLICT');
  const u2 = store.createUser({ username: 'u2', passwordHash: 'x' });
  const m = store.addMember(p.id, u2.id, Role.Guest);
  const other = store.createProject('p2', false, u.id);
  assert.equal(store.getMember(other.id, m.id), undefined, 'a member id is scoped to its project');
  assert.throws(() => store.updateMember(other.id, m.id, Role.ProjectAdmin), (e: unknown) => e instanceof MetaError && e.code === 'NOT_FOUND');
  assert.throws(() => store.deleteUser(u.id), (e: unknown) => e instanceof MetaError && e.code === 'PRECONDITION');
  store.deleteUser(u2.id);
  assert.equal(store.roleOf(p.id, u2.id), undefined, 'memberships go with the user');
  assert.throws(() => store.deleteUser(store.getUserByName('admin')!.id), (e: unknown) => e instanceof MetaError && e.code === 'FORBIDDEN');
});

test('pull counts, pull and push times', async () => {
  let now = new Date('2026-05-01T00:00:00Z');
  const { store } = await fresh(() => now);
  store.recordPush('library/a', 'sha256:1', 'v1');
  const pushed = store.artifactTimes('library/a', 'sha256:1');
  assert.equal(pushed.pushTime, '2026-05-01T00:00:00.000Z');
  assert.equal(pushed.pullTime, null);
  now = new Date('2026-05-02T00:00:00Z');
  store.recordPull('library/a', 'sha256:1', 'v1');
  store.recordPull('library/a', 'sha256:1', undefined);
  store.recordPull('library/b', 'sha256:2', undefined);
  assert.equal(store.repositoryStats('library/a').pullCount, 2);
  assert.equal(store.repositoryStats('library/b').pullCount, 1);
  assert.equal(store.artifactTimes('library/a', 'sha256:1').pullTime, '2026-05-02T00:00:00.000Z');
  assert.equal(store.tagTimes('library/a', 'v1').pullTime, '2026-05-02T00:00:00.000Z');
  const id = store.repositoryStats('library/a').id;
  assert.equal(store.repositoryStats('library/a').id, id, 'stable ids');
  store.deleteRepositoryStats('library/a');
  assert.equal(store.repositoryStats('library/a').pullCount, 0);
});

test('robots: unique per level and project, secret rotation bumps the credential version', async () => {
  const { store } = await fresh();
  const lib = store.getProject('library')!;
  const base = {
    name: 'ci', description: '', level: 'project' as const, projectId: lib.id, secretHash: 'h1', duration: -1, expiresAt: -1,
    disabled: false, permissions: [{ kind: 'project' as const, namespace: 'library', access: [{ resource: 'repository', action: 'pull' }] }],
    creatorType: 'local', creatorRef: 1,
  };
  const r = store.createRobot(base);
  assert.throws(() => store.createRobot(base), (e: unknown) => e instanceof MetaError && e.code === 'CONFLICT');
  const sys = store.createRobot({ ...base, level: 'system', projectId: null });
  assert.notEqual(sys.id, r.id, 'a system robot may share a project robot\'s short name');
  store.setRobotSecret(r.id, 'h2');
  assert.equal(store.getRobot(r.id)!.credentialVersion, 2);
  assert.deepEqual(store.listRobots({ level: 'project', projectId: lib.id }).map((x) => x.id), [r.id]);
  store.deleteProject(lib.id);
  assert.equal(store.getRobot(r.id), undefined, 'project robots go with their project');
});
