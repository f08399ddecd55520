// What an account may do: Harbor's evaluator reduced to berth's resources. System admins may do
// everything; members act through their role's table; anyone may read and pull public
// projects; robots hold exactly the permissions they were created with, and a project-level
// robot only ever inside its own project.
import type { Action, Scope } from '../access.js';
import type { MetaStore, Permission, Project, Resource } from '../meta/index.js';
import { publicAllows, roleAllows } from '../meta/index.js';
import type { Account } from './accounts.js';

/** The caller of a request: an account, or nobody. */
export type Caller = Account | { kind: 'anonymous' };

/** Whether `caller` may do `action` on `resource` of `project`. */
export function can(store: MetaStore, caller: Caller, project: Project, resource: Resource, action: Permission): boolean {
  if (project.public && publicAllows(resource, action)) return true;
  if (caller.kind === 'anonymous') return false;
  if (caller.kind === 'user') {
    if (caller.user.sysadmin) return true;
    const role = store.roleOf(project.id, caller.user.id);
    return role !== undefined && roleAllows(role, resource, action);
  }
  const r = caller.robot;
  if (r.level === 'project' && r.projectId !== project.id) return false;
  return r.permissions.some((p) =>
    p.kind === 'project' && (p.namespace === project.name || (r.level === 'system' && p.namespace === '*'))
    && p.access.some((a) => a.resource === resource && a.action === action && (a.effect ?? 'allow') === 'allow'));
}

/** Whether `caller` is a system administrator. */
export function isSysadmin(caller: Caller): boolean {
  return caller.kind === 'user' && caller.user.sysadmin;
}

/** The project a repository name lives in (its first path component), if that project exists. */
export function projectOf(store: MetaStore, repository: string): Project | undefined {
  const slash = repository.indexOf('/');
  if (slash <= 0) return undefined;
  return store.getProject(repository.slice(0, slash));
}

/**
 * The registry actions `caller` holds on a scope's resource: on a repository pull/push/delete
 * per Harbor's token creator (harbor src/core/service/token/creator.go actionScopeMap: pull,
 * push and delete on the repository resource); on `registry:catalog` `*` for system admins only
 * (creator.go registryFilter).
 */
export function allowedActions(store: MetaStore, caller: Caller, scope: Scope): ReadonlySet<Action> {
  if (scope.type === 'registry') {
    return scope.name === 'catalog' && isSysadmin(caller) ? new Set<Action>(['*']) : new Set<Action>();
  }
  const project = projectOf(store, scope.name);
  const out = new Set<Action>();
  if (!project) return out;
  for (const a of ['pull', 'push', 'delete'] as const) {
    if (can(store, caller, project, 'repository', a)) out.add(a);
  }
  return out;
}
