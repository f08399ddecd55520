import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Role, ROLE_NAMES, isRoleId, publicAllows, roleAllows, type Permission, type Resource, type RoleId } from './roles.js';

test('role ids and names are Harbor\'s (src/common/const.go)', () => {
  assert.deepEqual(Role, { ProjectAdmin: 1, Developer: 2, Guest: 3, Maintainer: 4, LimitedGuest: 5 });
  assert.deepEqual(ROLE_NAMES, { 1: 'projectAdmin', 2: 'developer', 3: 'guest', 4: 'maintainer', 5: 'limitedGuest' });
  assert.equal(isRoleId(5), true);
  assert.equal(isRoleId(0), false);
  assert.equal(isRoleId(6), false);
  assert.equal(isRoleId('1'), false);
});

test('permission matrix (harbor src/common/rbac/project/rbac_role.go)', () => {
  const A = Role.ProjectAdmin, M = Role.Maintainer, D = Role.Developer, G = Role.Guest, L = Role.LimitedGuest;
  const cases: Array<{ name: string; resource: Resource; action: Permission; allowed: RoleId[] }> = [
    { name: 'pull', resource: 'repository', action: 'pull', allowed: [A, M, D, G, L] },
    { name: 'push', resource: 'repository', action: 'push', allowed: [A, M, D] },
    { name: 'delete repository', resource: 'repository', action: 'delete', allowed: [A, M] },
    { name: 'delete artifact', resource: 'artifact', action: 'delete', allowed: [A, M] },
    { name: 'delete tag', resource: 'tag', action: 'delete', allowed: [A, M] },
    { name: 'list members', resource: 'member', action: 'list', allowed: [A, M, D, G] },
    { name: 'add members', resource: 'member', action: 'create', allowed: [A] },
    { name: 'update project metadata', resource: 'metadata', action: 'update', allowed: [A] },
    { name: 'delete project', resource: 'project', action: 'delete', allowed: [A] },
    { name: 'create robots', resource: 'robot', action: 'create', allowed: [A] },
    { name: 'list robots', resource: 'robot', action: 'list', allowed: [A, M, D, G] },
    { name: 'audit log', resource: 'log', action: 'list', allowed: [A] },
  ];
  for (const c of cases) {
    for (const r of [A, M, D, G, L] as RoleId[]) {
      assert.equal(roleAllows(r, c.resource, c.action), c.allowed.includes(r), `${c.name} for ${ROLE_NAMES[r]}`);
    }
  }
});

test('public projects: anyone reads and pulls, nobody writes', () => {
  assert.equal(publicAllows('repository', 'pull'), true);
  assert.equal(publicAllows('artifact', 'list'), true);
  assert.equal(publicAllows('repository', 'push'), false);
  assert.equal(publicAllows('member', 'list'), false);
  assert.equal(publicAllows('project', 'delete'), false);
});
