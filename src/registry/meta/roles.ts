// Harbor's project roles and what each may do, as pure tables. Role ids are harbor
// src/common/const.go (ProjectAdmin=1, Developer=2, Guest=3, Maintainer=4, LimitedGuest=5); the
// permissions are the subset of harbor src/common/rbac/project/rbac_role.go (rolePoliciesMap)
// that berth implements: repository pull/push/delete, artifacts, tags, members, robots, project.

/** Harbor's role ids. */
export const Role = { ProjectAdmin: 1, Developer: 2, Guest: 3, Maintainer: 4, LimitedGuest: 5 } as const;
export type RoleId = (typeof Role)[keyof typeof Role];

/** Harbor's role names as the API shows them (`role_name` on members). */
export const ROLE_NAMES: Record<RoleId, string> = {
  1: 'projectAdmin',
  2: 'developer',
  3: 'guest',
  4: 'maintainer',
  5: 'limitedGuest',
};

/** Whether a value is one of Harbor's role ids. */
export function isRoleId(n: unknown): n is RoleId {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 5;
}

/** Project-scoped resources berth checks. */
export type Resource = 'project' | 'metadata' | 'member' | 'repository' | 'artifact' | 'tag' | 'robot' | 'log';
/** Actions on them (Harbor's rbac.Action values, lower case). */
export type Permission = 'read' | 'create' | 'update' | 'delete' | 'list' | 'pull' | 'push';

type Table = Partial<Record<Resource, Permission[]>>;

// "project" stands for Harbor's ResourceSelf (the project itself).
const POLICIES: Record<RoleId, Table> = {
  1: {
    project: ['read', 'update', 'delete'],
    member: ['create', 'read', 'update', 'delete', 'list'],
    metadata: ['create', 'read', 'update', 'delete'],
    log: ['list'],
    repository: ['create', 'read', 'update', 'delete', 'list', 'pull', 'push'],
    robot: ['create', 'read', 'update', 'delete', 'list'],
    artifact: ['create', 'read', 'delete', 'list'],
    tag: ['list', 'create', 'delete'],
  },
  4: {
    project: ['read'],
    member: ['read', 'list'],
    metadata: ['read'],
    repository: ['create', 'read', 'update', 'delete', 'list', 'push', 'pull'],
    robot: ['read', 'list'],
    artifact: ['create', 'read', 'delete', 'list'],
    tag: ['list', 'create', 'delete'],
  },
  2: {
    project: ['read'],
    member: ['read', 'list'],
    repository: ['create', 'read', 'update', 'list', 'push', 'pull'],
    robot: ['read', 'list'],
    artifact: ['create', 'read', 'list'],
    tag: ['list', 'create'],
  },
  3: {
    project: ['read'],
    member: ['read', 'list'],
    repository: ['read', 'list', 'pull'],
    robot: ['read', 'list'],
    artifact: ['read', 'list'],
    tag: ['list'],
  },
  5: {
    project: ['read'],
    repository: ['list', 'read', 'pull'],
    artifact: ['read', 'list'],
    tag: ['list'],
  },
};

/**
 * What anyone (even anonymous) may do in a public project: read it and pull from it (harbor
 * src/common/rbac/project/rbac_util.go publicProjectPolicies, reduced to what berth serves;
 * repository read is added so that a repository listed there can also be fetched by name).
 */
const PUBLIC: Table = {
  project: ['read'],
  repository: ['list', 'read', 'pull'],
  artifact: ['read', 'list'],
  tag: ['list'],
};

/** Whether `role` may do `action` on `resource` in its project. */
export function roleAllows(role: RoleId, resource: Resource, action: Permission): boolean {
  return POLICIES[role][resource]?.includes(action) ?? false;
}

/** Whether anyone may do `action` on `resource` of a public project. */
export function publicAllows(resource: Resource, action: Permission): boolean {
  return PUBLIC[resource]?.includes(action) ?? false;
}
