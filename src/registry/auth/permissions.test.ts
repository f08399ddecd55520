import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openRegistryDb } from '../db.js';
import { MetaStore, Role, type Robot } from '../meta/index.js';
import { allowedActions, can, type Caller } from './permissions.js';

function setup() {
  const store = new MetaStore(openRegistryDb(':memory:'));
  const owner = store.createUser({ username: 'owner', passwordHash: 'x' });
  const dev = store.createUser({ username: 'dev', passwordHash: 'x' });
  const root = store.createUser({ username: 'root', passwordHash: 'x' });
  store.setSysadmin(root.id, true);
  const priv = store.createProject('priv', false, owner.id);
  const pub = store.createProject('pub', true, owner.id);
  const other = store.createProject('other', false, owner.id);
  store.addMember(priv.id, dev.id, Role.Developer);
  const robot = (level: 'project' | 'system', projectId: number | null, namespace: string, actions: string[]): Robot => store.createRobot({
    name: `r${Math.random().toString(36).slice(2, 8)}`, description: '', level, projectId, secretHash: 'x', duration: -1, expiresAt: -1, disabled: false,
    permissions: [{ kind: 'project', namespace, access: actions.map((action) => ({ resource: 'repository', action })) }], creatorType: 'local', creatorRef: 1,
  });
  const as = (name: string): Caller => ({ kind: 'user', name, user: store.getUserByName(name)! });
  return { store, priv, pub, other, robot, as };
}

test('repository actions per caller (token grants are cut to these)', () => {
  const { store, robot, as, priv } = setup();
  const r = (s: string) => ({ type: 'repository' as const, name: s, actions: [] });
  const projRobot = robot('project', priv.id, 'priv', ['pull', 'push']);
  const forged = robot('project', priv.id, 'other', ['pull', 'push', 'delete']);
  const sysRobot = robot('system', null, '*', ['pull']);
  const cases: Array<{ name: string; caller: Caller; repo: string; want: string[] }> = [
    { name: 'anonymous on public', caller: { kind: 'anonymous' }, repo: 'pub/x', want: ['pull'] },
    { name: 'anonymous on private', caller: { kind: 'anonymous' }, repo: 'priv/x', want: [] },
    { name: 'developer member', caller: as('dev'), repo: 'priv/x', want: ['pull', 'push'] },
    { name: 'developer elsewhere', caller: as('dev'), repo: 'other/x', want: [] },
    { name: 'owner is ProjectAdmin', caller: as('owner'), repo: 'priv/x', want: ['pull', 'push', 'delete'] },
    { name: 'sysadmin anywhere', caller: as('root'), repo: 'other/a/b', want: ['pull', 'push', 'delete'] },
    { name: 'no project part', caller: as('root'), repo: 'busybox', want: [] },
    { name: 'unknown project', caller: as('root'), repo: 'nope/x', want: [] },
    { name: 'project robot in its project', caller: { kind: 'robot', name: 'r', robot: projRobot }, repo: 'priv/x', want: ['pull', 'push'] },
    { name: 'project robot elsewhere', caller: { kind: 'robot', name: 'r', robot: projRobot }, repo: 'other/x', want: [] },
    { name: 'project robot naming another namespace', caller: { kind: 'robot', name: 'r', robot: forged }, repo: 'other/x', want: [] },
    { name: 'system robot over all projects', caller: { kind: 'robot', name: 'r', robot: sysRobot }, repo: 'other/x', want: ['pull'] },
  ];
  for (const c of cases) assert.deepEqual([...allowedActions(store, c.caller, r(c.repo))].sort(), [...c.want].sort(), c.name);
  assert.deepEqual([...allowedActions(store, as('root'), { type: 'registry', name: 'catalog', actions: [] })], ['*']);
  assert.deepEqual([...allowedActions(store, as('owner'), { type: 'registry', name: 'catalog', actions: [] })], []);
});

test('API permissions follow roles, and public projects only grant reads', () => {
  const { store, pub, priv, as } = setup();
  assert.equal(can(store, { kind: 'anonymous' }, pub, 'artifact', 'list'), true);
  assert.equal(can(store, { kind: 'anonymous' }, pub, 'member', 'list'), false);
  assert.equal(can(store, as('dev'), priv, 'member', 'create'), false);
  assert.equal(can(store, as('owner'), priv, 'member', 'create'), true);
  assert.equal(can(store, as('dev'), pub, 'repository', 'push'), false);
});
