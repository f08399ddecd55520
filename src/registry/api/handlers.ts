// Harbor's REST API v2.0 (harbor api/v2.0/swagger.yaml) for what people and scripts do:
// projects, members, repositories, artifacts, tags, robots, users, audit logs, systeminfo,
// health, ping. Request and response shapes follow the swagger models; permission checks
// follow Harbor's RBAC (anonymous -> 401, authenticated but not allowed -> 403); every object
// addressed by id is checked against the project in the URL or its own project (no IDOR).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArtifactInfo, RegistryContent, RepositoryInfo } from '../access.js';
import type { Logger } from '../../common/log.js';
import {
  ROLE_NAMES, generateSecret, hashPassword, isRoleId, isStrongPassword, projectNameError, robotNameError, userNameError,
  type MetaStore, type Permission, type Project, type Resource, type Robot, type RobotAccess, type RobotPermission, type User,
} from '../meta/index.js';
import type { Accounts } from '../auth/accounts.js';
import { can, isSysadmin, type Caller } from '../auth/permissions.js';
import { BodyTooLarge, readBody, sendJson } from '../auth/http-util.js';
import { ApiError } from './errors.js';
import { paginate, parsePaging } from './paging.js';

/** What a handler gets: the request, its parsed URL, path parameters and the caller. */
export interface ApiContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  caller: Caller;
  /** Extra headers for the response (CSRF token, request id). */
  headers: Record<string, string>;
}

/** Everything the handlers read and change. */
export interface ApiDeps {
  store: MetaStore;
  accounts: Accounts;
  content: RegistryContent;
  baseUrl: string;
  now: () => Date;
  log: Logger;
  /** Called after a user is deleted or changes password (ends console sessions). */
  onUserCredentialsChanged(userId: number): void;
}

type Handler = (ctx: ApiContext) => Promise<void> | void;
/** One route: method, path pattern under /api/v2.0 (segments captured raw), handler. */
export type Route = [string, RegExp, Handler];

const SEG = '([^/]+)';
const DAY_S = 24 * 3600;
/** Harbor's default robot_token_duration in days (harbor src/lib/config/metadata/metadatalist.go). */
const DEFAULT_ROBOT_DURATION = 30;

const ROBOT_ACCESS: Record<string, Permission[]> = {
  repository: ['pull', 'push', 'delete', 'list', 'read'],
  artifact: ['read', 'list', 'delete'],
  tag: ['list', 'create', 'delete'],
};

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new ApiError('BAD_REQUEST', 'invalid path encoding');
  }
}

async function jsonBody(ctx: ApiContext): Promise<Record<string, any>> {
  let buf: Buffer;
  try {
    buf = await readBody(ctx.req, 1 << 20);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw new ApiError('REQUEST_ENTITY_TOO_LARGE', 'request body too large');
    throw e;
  }
  if (buf.length === 0) return {};
  try {
    const v = JSON.parse(buf.toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, any>;
  } catch {
    throw new ApiError('BAD_REQUEST', 'invalid JSON request body');
  }
}

function ok(ctx: ApiContext, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  sendJson(ctx.res, status, body, { ...ctx.headers, ...headers });
}

function denied(caller: Caller): ApiError {
  return caller.kind === 'anonymous' ? new ApiError('UNAUTHORIZED', 'unauthorized') : new ApiError('FORBIDDEN', 'forbidden');
}

/** Builds the route table over the dependencies. */
export function routes(d: ApiDeps): Route[] {
  const { store, content } = d;

  // ---- helpers bound to deps

  const findProject = (ctx: ApiContext, raw: string): Project => {
    const ref = decode(raw);
    const byName = ctx.req.headers['x-is-resource-name'] === 'true' || !/^\d+$/.test(ref);
    const p = byName ? store.getProject(ref) : store.getProject(Number(ref));
    if (!p) throw new ApiError('NOT_FOUND', `project ${ref} not found`);
    return p;
  };
  const requireProject = (ctx: ApiContext, raw: string, resource: Resource, action: Permission): Project => {
    const p = findProject(ctx, raw);
    if (!can(store, ctx.caller, p, resource, action)) throw denied(ctx.caller);
    return p;
  };
  const requireUser = (ctx: ApiContext): Caller & { kind: 'user' } => {
    if (ctx.caller.kind === 'user') return ctx.caller;
    throw denied(ctx.caller);
  };
  const requireSysadmin = (ctx: ApiContext): void => {
    if (!isSysadmin(ctx.caller)) throw denied(ctx.caller);
  };
  const visible = (caller: Caller, p: Project): boolean => can(store, caller, p, 'project', 'read');
  const reposOf = (project: Project): RepositoryInfo[] => content.listRepositories().filter((r) => r.name.startsWith(`${project.name}/`));
  const repoName = (project: Project, raw: string): string => {
    // Harbor clients double-encode slashes in repository names (a/b -> a%252Fb).
    const once = decode(raw);
    return `${project.name}/${once.includes('%') ? decode(once) : once}`;
  };
  const getRepo = (project: Project, raw: string): RepositoryInfo => {
    const name = repoName(project, raw);
    const r = content.listRepositories().find((x) => x.name === name);
    if (!r) throw new ApiError('NOT_FOUND', `repository ${name} not found`);
    return r;
  };
  const getArtifact = (repo: string, rawRef: string): ArtifactInfo => {
    const ref = decode(rawRef);
    const a = content.getArtifact(repo, ref);
    if (!a) throw new ApiError('NOT_FOUND', `artifact ${repo}@${ref} not found`);
    return a;
  };
  const iso = (d: Date | string | null | undefined): string => (d == null ? '0001-01-01T00:00:00.000Z' : typeof d === 'string' ? d : d.toISOString());
  const audit = (ctx: ApiContext, resource: string, type: string, op: string): void => {
    store.audit(ctx.caller.kind === 'anonymous' ? 'anonymous' : ctx.caller.name, resource, type, op);
  };

  const projectJson = (caller: Caller, p: Project) => {
    const role = caller.kind === 'user' ? store.roleOf(p.id, caller.user.id) : undefined;
    return {
      project_id: p.id, owner_id: p.ownerId, owner_name: p.ownerName, name: p.name, registry_id: 0,
      creation_time: p.creationTime, update_time: p.updateTime, deleted: false, togglable: true,
      current_user_role_id: role ?? 0, current_user_role_ids: role ? [role] : [],
      repo_count: reposOf(p).length, metadata: { public: String(p.public) },
    };
  };
  const repoJson = (project: Project, r: RepositoryInfo) => {
    const s = store.repositoryStats(r.name);
    return {
      id: s.id, project_id: project.id, name: r.name, description: '', artifact_count: r.artifactCount,
      pull_count: s.pullCount, creation_time: iso(r.createdAt), update_time: iso(r.updatedAt),
    };
  };
  const artifactJson = (project: Project, a: ArtifactInfo, withTag: boolean) => {
    const repo = store.repositoryStats(a.repository);
    const t = store.artifactTimes(a.repository, a.digest);
    return {
      id: t.id, type: 'IMAGE',
      media_type: a.mediaType, manifest_media_type: a.mediaType, artifact_type: a.mediaType,
      project_id: project.id, repository_id: repo.id, repository_name: a.repository, digest: a.digest, size: a.size,
      push_time: iso(t.pushTime ?? a.pushedAt), pull_time: iso(t.pullTime), extra_attrs: {}, annotations: {}, references: [],
      labels: [], accessories: [],
      tags: withTag ? a.tags.map((tag) => tagJson(repo.id, t.id, a.repository, tag)) : null,
    };
  };
  const tagJson = (repositoryId: number, artifactId: number, repository: string, tag: { name: string; pushedAt: Date }) => {
    const tt = store.tagTimes(repository, tag.name);
    return {
      id: tt.id, repository_id: repositoryId, artifact_id: artifactId, name: tag.name,
      push_time: iso(tt.pushTime ?? tag.pushedAt), pull_time: iso(tt.pullTime), immutable: false,
    };
  };
  const userJson = (u: User) => ({
    user_id: u.id, username: u.username, email: u.email, realname: u.realname, comment: u.comment,
    sysadmin_flag: u.sysadmin, admin_role_in_auth: false, creation_time: u.creationTime, update_time: u.updateTime,
  });
  const robotJson = (r: Robot) => ({
    id: r.id, name: d.accounts.robotFullName(r), description: r.description, level: r.level, duration: r.duration,
    editable: true, disable: r.disabled, expires_at: r.expiresAt, permissions: r.permissions,
    creator_type: r.creatorType, creator_ref: r.creatorRef, creation_time: r.creationTime, update_time: r.updateTime,
  });
  const list = <T>(ctx: ApiContext, items: T[]): void => {
    const page = paginate(items, parsePaging(ctx.url), ctx.url);
    ok(ctx, 200, page.items, page.headers);
  };
  /** Harbor's `q` query: `k=v`, `k=~v` (fuzzy); returns the value for key `k` and whether fuzzy. */
  const qValue = (url: URL, key: string): { value: string; fuzzy: boolean } | undefined => {
    for (const part of (url.searchParams.get('q') ?? '').split(',')) {
      const m = /^\s*([A-Za-z_]+)=(~?)(.*)$/.exec(part);
      if (m && m[1].toLowerCase() === key.toLowerCase()) return { value: m[3], fuzzy: m[2] === '~' };
    }
    return undefined;
  };
  const matches = (v: string, f: { value: string; fuzzy: boolean } | undefined): boolean =>
    !f || (f.fuzzy ? v.includes(f.value) : v === f.value);

  // ---- robots: validation shared by create and update

  const robotExpiry = (duration: number, created: Date): number => (duration === -1 ? -1 : Math.floor(created.getTime() / 1000) + duration * DAY_S);
  const validateRobot = (ctx: ApiContext, body: Record<string, any>): { level: 'project' | 'system'; duration: number; permissions: RobotPermission[]; project?: Project } => {
    const duration = body.duration === undefined ? DEFAULT_ROBOT_DURATION : body.duration;
    if (!Number.isInteger(duration) || !(duration === -1 || (duration > 0 && duration < 2 ** 31 - 1))) {
      throw new ApiError('BAD_REQUEST', `bad request error duration input: ${String(duration)}, duration must be either -1(Never) or a positive integer`);
    }
    const level = body.level;
    if (level !== 'project' && level !== 'system') throw new ApiError('BAD_REQUEST', `bad request error level input: ${String(level)}`);
    const perms = body.permissions;
    if (!Array.isArray(perms) || perms.length === 0) throw new ApiError('BAD_REQUEST', 'bad request empty permission');
    if (level === 'project' && perms.length > 1) throw new ApiError('BAD_REQUEST', 'bad request permission');
    const permissions: RobotPermission[] = [];
    for (const p of perms as any[]) {
      if (!p || typeof p !== 'object') throw new ApiError('BAD_REQUEST', 'bad request empty permission');
      if (p.kind !== 'project') throw new ApiError('BAD_REQUEST', `bad request permission level: ${String(p.kind)}`);
      if (typeof p.namespace !== 'string' || p.namespace === '') throw new ApiError('BAD_REQUEST', 'bad request permission');
      if (p.namespace === '*' && level !== 'system') throw new ApiError('BAD_REQUEST', 'bad request permission');
      if (!Array.isArray(p.access) || p.access.length === 0) throw new ApiError('BAD_REQUEST', 'bad request empty access');
      const access: RobotAccess[] = [];
      for (const a of p.access as any[]) {
        if (!a || typeof a.resource !== 'string' || typeof a.action !== 'string' || !ROBOT_ACCESS[a.resource]?.includes(a.action as Permission)) {
          throw new ApiError('BAD_REQUEST', `bad request permission: ${String(a?.resource)}:${String(a?.action)}`);
        }
        const effect = a.effect === undefined ? undefined : String(a.effect);
        if (effect !== undefined && effect !== 'allow') throw new ApiError('BAD_REQUEST', `bad request permission: ${a.resource}:${a.action}`);
        access.push({ resource: a.resource as string, action: a.action as string, ...(effect ? { effect } : {}) });
      }
      const has = (r: string, x: string) => access.some((a) => a.resource === r && a.action === x);
      if (has('repository', 'push') && !has('repository', 'pull')) {
        throw new ApiError('BAD_REQUEST', 'bad request permission: repository:push requires repository:pull');
      }
      permissions.push({ kind: 'project', namespace: p.namespace, access });
    }
    // Every named project must exist and the caller must administer its robots (a project
    // admin cannot hand out access to a project they do not control).
    let project: Project | undefined;
    for (const p of permissions) {
      if (p.namespace === '*') {
        requireSysadmin(ctx);
        continue;
      }
      const proj = store.getProject(p.namespace);
      if (!proj) throw new ApiError('NOT_FOUND', `project ${p.namespace} not found`);
      if (level === 'system') requireSysadmin(ctx);
      else if (!can(store, ctx.caller, proj, 'robot', 'create')) throw denied(ctx.caller);
      project = proj;
    }
    return { level, duration, permissions, project: level === 'project' ? project : undefined };
  };
  const requireRobotAccess = (ctx: ApiContext, r: Robot, action: Permission): void => {
    if (r.level === 'system') return requireSysadmin(ctx);
    const p = r.projectId !== null ? store.getProject(r.projectId) : undefined;
    if (!p || !can(store, ctx.caller, p, 'robot', action)) throw denied(ctx.caller);
  };
  const getRobot = (ctx: ApiContext, raw: string): Robot => {
    if (ctx.caller.kind === 'anonymous') throw denied(ctx.caller);
    const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
    const r = Number.isFinite(id) ? store.getRobot(id) : undefined;
    if (!r) throw new ApiError('NOT_FOUND', `robot ${raw} not found`);
    return r;
  };

  const r: Route[] = [
    ['GET', /^\/ping$/, (ctx) => {
      ctx.res.writeHead(200, { ...ctx.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 4 });
      ctx.res.end('Pong');
    }],
    ['GET', /^\/health$/, (ctx) => ok(ctx, 200, {
      status: 'healthy',
      components: [{ name: 'core', status: 'healthy' }, { name: 'database', status: 'healthy' }, { name: 'registry', status: 'healthy' }],
    })],
    ['GET', /^\/systeminfo$/, (ctx) => {
      const ext = new URL(d.baseUrl);
      ok(ctx, 200, {
        auth_mode: 'db_auth', primary_auth_mode: false, self_registration: false, project_creation_restriction: 'everyone',
        harbor_version: 'v2.13.0-berth', registry_url: ext.host, external_url: d.baseUrl, has_ca_root: ext.protocol === 'https:',
        read_only: false, with_chartmuseum: false, notification_enable: false, registry_storage_provider_name: 'filesystem',
        banner_message: '', current_time: d.now().toISOString(),
      });
    }],

    // ---- projects
    ['HEAD', /^\/projects$/, (ctx) => {
      const name = ctx.url.searchParams.get('project_name') ?? '';
      ok(ctx, store.getProject(name) ? 200 : 404);
    }],
    ['GET', /^\/projects$/, (ctx) => {
      const name = ctx.url.searchParams.get('name');
      const pub = ctx.url.searchParams.get('public');
      const qn = qValue(ctx.url, 'name');
      const items = store.listProjects()
        .filter((p) => visible(ctx.caller, p))
        .filter((p) => (name ? p.name.includes(name) : true) && matches(p.name, qn))
        .filter((p) => (pub === 'true' ? p.public : pub === 'false' ? !p.public : true));
      list(ctx, items.map((p) => projectJson(ctx.caller, p)));
    }],
    ['POST', /^\/projects$/, async (ctx) => {
      const u = requireUser(ctx);
      const body = await jsonBody(ctx);
      const name = body.project_name;
      if (typeof name !== 'string') throw new ApiError('BAD_REQUEST', 'project_name in body is required');
      const bad = projectNameError(name);
      if (bad) throw new ApiError('BAD_REQUEST', bad);
      let pub = body.metadata?.public as unknown;
      if (pub === undefined && typeof body.public === 'boolean') pub = String(body.public);
      if (pub === undefined || pub === '') pub = 'false';
      if (pub !== 'true' && pub !== 'false') throw new ApiError('BAD_REQUEST', `metadata.public should only be 'true' or 'false', but got: '${String(pub)}'`);
      const p = store.createProject(name, pub === 'true', u.user.id);
      audit(ctx, name, 'project', 'create');
      ok(ctx, 201, undefined, { Location: `/api/v2.0/projects/${p.id}` });
    }],
    ['GET', new RegExp(`^/projects/${SEG}$`), (ctx) => ok(ctx, 200, projectJson(ctx.caller, requireProject(ctx, ctx.params[0], 'project', 'read')))],
    ['PUT', new RegExp(`^/projects/${SEG}$`), async (ctx) => {
      // Project metadata is ProjectAdmin's (a Maintainer may not change it: CVE-2024-22278).
      const p = requireProject(ctx, ctx.params[0], 'metadata', 'update');
      const body = await jsonBody(ctx);
      const pub = body.metadata?.public;
      if (pub !== undefined) {
        if (pub !== 'true' && pub !== 'false') throw new ApiError('BAD_REQUEST', `metadata.public should only be 'true' or 'false', but got: '${String(pub)}'`);
        store.setProjectPublic(p.id, pub === 'true');
      }
      ok(ctx, 200);
    }],
    ['DELETE', new RegExp(`^/projects/${SEG}$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'project', 'delete');
      if (reposOf(p).length > 0) throw new ApiError('PRECONDITION', 'the project contains repositories, can not be deleted');
      store.deleteProject(p.id);
      audit(ctx, p.name, 'project', 'delete');
      ok(ctx, 200);
    }],
    ['GET', new RegExp(`^/projects/${SEG}/_deletable$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'project', 'delete');
      const n = reposOf(p).length;
      ok(ctx, 200, n > 0 ? { deletable: false, message: 'the project contains repositories, can not be deleted' } : { deletable: true });
    }],
    ['GET', new RegExp(`^/projects/${SEG}/summary$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'project', 'read');
      const count = (role: number) => store.listMembers(p.id).filter((m) => m.roleId === role).length;
      ok(ctx, 200, {
        repo_count: reposOf(p).length, project_admin_count: count(1), maintainer_count: count(4),
        developer_count: count(2), guest_count: count(3), limited_guest_count: count(5),
      });
    }],

    // ---- members
    ['GET', new RegExp(`^/projects/${SEG}/members$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'member', 'list');
      const filter = ctx.url.searchParams.get('entityname');
      const items = store.listMembers(p.id).filter((m) => !filter || m.username.includes(filter));
      list(ctx, items.map((m) => ({ id: m.id, project_id: p.id, entity_name: m.username, role_name: ROLE_NAMES[m.roleId], role_id: m.roleId, entity_id: m.userId, entity_type: 'u' })));
    }],
    ['POST', new RegExp(`^/projects/${SEG}/members$`), async (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'member', 'create');
      const body = await jsonBody(ctx);
      if (!isRoleId(body.role_id)) throw new ApiError('BAD_REQUEST', `invalid role id: ${String(body.role_id)}`);
      const mu = body.member_user ?? {};
      const user = typeof mu.user_id === 'number' ? store.getUser(mu.user_id) : typeof mu.username === 'string' ? store.getUserByName(mu.username) : undefined;
      if (!user) throw new ApiError('NOT_FOUND', 'user not found');
      const m = store.addMember(p.id, user.id, body.role_id);
      audit(ctx, `${p.name}:${user.username}`, 'project_member', 'create');
      ok(ctx, 201, undefined, { Location: `/api/v2.0/projects/${p.id}/members/${m.id}` });
    }],
    ['GET', new RegExp(`^/projects/${SEG}/members/(\\d+)$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'member', 'read');
      const m = store.getMember(p.id, Number(ctx.params[1]));
      if (!m) throw new ApiError('NOT_FOUND', `member ${ctx.params[1]} not found`);
      ok(ctx, 200, { id: m.id, project_id: p.id, entity_name: m.username, role_name: ROLE_NAMES[m.roleId], role_id: m.roleId, entity_id: m.userId, entity_type: 'u' });
    }],
    ['PUT', new RegExp(`^/projects/${SEG}/members/(\\d+)$`), async (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'member', 'update');
      const body = await jsonBody(ctx);
      if (!isRoleId(body.role_id)) throw new ApiError('BAD_REQUEST', `invalid role id: ${String(body.role_id)}`);
      store.updateMember(p.id, Number(ctx.params[1]), body.role_id);
      ok(ctx, 200);
    }],
    ['DELETE', new RegExp(`^/projects/${SEG}/members/(\\d+)$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'member', 'delete');
      store.deleteMember(p.id, Number(ctx.params[1]));
      ok(ctx, 200);
    }],

    // ---- repositories
    ['GET', /^\/repositories$/, (ctx) => {
      const qn = qValue(ctx.url, 'name');
      const projects = new Map(store.listProjects().filter((p) => can(store, ctx.caller, p, 'repository', 'list')).map((p) => [p.name, p]));
      const items = content.listRepositories().flatMap((r) => {
        const p = projects.get(r.name.split('/')[0]);
        return p && matches(r.name, qn) ? [repoJson(p, r)] : [];
      });
      list(ctx, items);
    }],
    ['GET', new RegExp(`^/projects/${SEG}/repositories$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'repository', 'list');
      const qn = qValue(ctx.url, 'name');
      list(ctx, reposOf(p).filter((r) => matches(r.name, qn)).map((r) => repoJson(p, r)));
    }],
    ['GET', new RegExp(`^/projects/${SEG}/repositories/${SEG}$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'repository', 'read');
      ok(ctx, 200, repoJson(p, getRepo(p, ctx.params[1])));
    }],
    ['DELETE', new RegExp(`^/projects/${SEG}/repositories/${SEG}$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'repository', 'delete');
      const repo = getRepo(p, ctx.params[1]);
      content.deleteRepository(repo.name);
      store.deleteRepositoryStats(repo.name);
      audit(ctx, repo.name, 'repository', 'delete');
      ok(ctx, 200);
    }],

    // ---- artifacts and tags
    ['GET', new RegExp(`^/projects/${SEG}/repositories/${SEG}/artifacts$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'artifact', 'list');
      const repo = getRepo(p, ctx.params[1]);
      const withTag = ctx.url.searchParams.get('with_tag') !== 'false';
      list(ctx, content.listArtifacts(repo.name).map((a) => artifactJson(p, a, withTag)));
    }],
    ['GET', new RegExp(`^/projects/${SEG}/repositories/${SEG}/artifacts/${SEG}$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'artifact', 'read');
      const repo = repoName(p, ctx.params[1]);
      const withTag = ctx.url.searchParams.get('with_tag') !== 'false';
      ok(ctx, 200, artifactJson(p, getArtifact(repo, ctx.params[2]), withTag));
    }],
    ['DELETE', new RegExp(`^/projects/${SEG}/repositories/${SEG}/artifacts/${SEG}$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'artifact', 'delete');
      const repo = repoName(p, ctx.params[1]);
      const a = getArtifact(repo, ctx.params[2]);
      content.deleteArtifact(repo, a.digest);
      store.recordDelete(repo, a.digest, undefined);
      for (const t of a.tags) store.recordDelete(repo, a.digest, t.name);
      audit(ctx, `${repo}@${a.digest}`, 'artifact', 'delete');
      ok(ctx, 200);
    }],
    ['GET', new RegExp(`^/projects/${SEG}/repositories/${SEG}/artifacts/${SEG}/tags$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'tag', 'list');
      const repo = repoName(p, ctx.params[1]);
      const a = getArtifact(repo, ctx.params[2]);
      const rs = store.repositoryStats(repo);
      const art = store.artifactTimes(repo, a.digest);
      list(ctx, a.tags.map((t) => tagJson(rs.id, art.id, repo, t)));
    }],
    ['DELETE', new RegExp(`^/projects/${SEG}/repositories/${SEG}/artifacts/${SEG}/tags/${SEG}$`), (ctx) => {
      const p = requireProject(ctx, ctx.params[0], 'tag', 'delete');
      const repo = repoName(p, ctx.params[1]);
      const a = getArtifact(repo, ctx.params[2]);
      const tag = decode(ctx.params[3]);
      if (!a.tags.some((t) => t.name === tag)) throw new ApiError('NOT_FOUND', `tag ${tag} not found on artifact ${a.digest}`);
      content.deleteTag(repo, tag);
      store.recordDelete(repo, a.digest, tag);
      audit(ctx, `${repo}:${tag}`, 'tag', 'delete');
      ok(ctx, 200);
    }],

    // ---- robots
    ['GET', /^\/robots$/, (ctx) => {
      if (ctx.caller.kind === 'anonymous') throw denied(ctx.caller);
      const level = qValue(ctx.url, 'Level')?.value;
      const pid = qValue(ctx.url, 'ProjectID')?.value;
      if (level !== undefined && level !== 'project' && level !== 'system') throw new ApiError('BAD_REQUEST', 'bad request error level input');
      let projectId: number | undefined;
      if (pid !== undefined) {
        if (!/^\d+$/.test(pid) || Number(pid) <= 0) throw new ApiError('BAD_REQUEST', 'ProjectID must be a positive integer');
        projectId = Number(pid);
        const p = store.getProject(projectId);
        if (!p) throw new ApiError('NOT_FOUND', `project ${pid} not found`);
        if (!can(store, ctx.caller, p, 'robot', 'list')) throw denied(ctx.caller);
      } else if (level === 'project') {
        throw new ApiError('BAD_REQUEST', 'must with project ID when to query project robots');
      } else requireSysadmin(ctx);
      const items = store.listRobots({ level: projectId !== undefined ? 'project' : (level as 'project' | 'system' | undefined), projectId })
        .filter((r) => matches(r.name, qValue(ctx.url, 'name')));
      list(ctx, items.map(robotJson));
    }],
    ['POST', /^\/robots$/, async (ctx) => {
      if (ctx.caller.kind !== 'user') throw denied(ctx.caller);
      const body = await jsonBody(ctx);
      const name = body.name;
      if (typeof name !== 'string') throw new ApiError('BAD_REQUEST', 'robot name is not in lower case or contains illegal characters');
      const bad = robotNameError(name);
      if (bad) throw new ApiError('BAD_REQUEST', bad);
      const v = validateRobot(ctx, body);
      const secret = generateSecret();
      const created = d.now();
      const robot = store.createRobot({
        name, description: typeof body.description === 'string' ? body.description : '', level: v.level,
        projectId: v.project?.id ?? null, secretHash: await hashPassword(secret), duration: v.duration,
        expiresAt: robotExpiry(v.duration, created), disabled: body.disable === true, permissions: v.permissions,
        creatorType: 'local', creatorRef: ctx.caller.user.id,
      });
      audit(ctx, d.accounts.robotFullName(robot), 'robot', 'create');
      ok(ctx, 201, { id: robot.id, name: d.accounts.robotFullName(robot), secret, creation_time: robot.creationTime, expires_at: robot.expiresAt },
        { Location: `/api/v2.0/robots/${robot.id}` });
    }],
    ['GET', /^\/robots\/([^/]+)$/, (ctx) => {
      const r = getRobot(ctx, ctx.params[0]);
      requireRobotAccess(ctx, r, 'read');
      ok(ctx, 200, robotJson(r));
    }],
    ['PUT', /^\/robots\/([^/]+)$/, async (ctx) => {
      const r = getRobot(ctx, ctx.params[0]);
      requireRobotAccess(ctx, r, 'update');
      const body = await jsonBody(ctx);
      if (body.level !== r.level || (body.name !== d.accounts.robotFullName(r) && body.name !== r.name)) {
        throw new ApiError('BAD_REQUEST', 'cannot update the level or name of robot');
      }
      if (body.duration === undefined) throw new ApiError('BAD_REQUEST', 'bad request error duration input: undefined, duration must be either -1(Never) or a positive integer');
      const v = validateRobot(ctx, body);
      if (r.level === 'project' && v.project?.id !== r.projectId) throw new ApiError('BAD_REQUEST', 'cannot update the project id of robot');
      store.updateRobot(r.id, {
        description: typeof body.description === 'string' ? body.description : r.description,
        duration: v.duration, expiresAt: robotExpiry(v.duration, new Date(r.creationTime)),
        disabled: body.disable === true, permissions: v.permissions,
      });
      ok(ctx, 200);
    }],
    ['PATCH', /^\/robots\/([^/]+)$/, async (ctx) => {
      const r = getRobot(ctx, ctx.params[0]);
      requireRobotAccess(ctx, r, 'update');
      const body = await jsonBody(ctx);
      let secret = '';
      let chosen: string;
      if (typeof body.secret === 'string' && body.secret !== '') {
        if (!isStrongPassword(body.secret)) {
          throw new ApiError('BAD_REQUEST', 'the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number');
        }
        chosen = body.secret;
      } else {
        secret = generateSecret();
        chosen = secret;
      }
      store.setRobotSecret(r.id, await hashPassword(chosen));
      audit(ctx, d.accounts.robotFullName(r), 'robot', 'update');
      ok(ctx, 200, { secret });
    }],
    ['DELETE', /^\/robots\/([^/]+)$/, (ctx) => {
      const r = getRobot(ctx, ctx.params[0]);
      requireRobotAccess(ctx, r, 'delete');
      const name = d.accounts.robotFullName(r);
      store.deleteRobot(r.id);
      audit(ctx, name, 'robot', 'delete');
      ok(ctx, 200);
    }],

    // ---- users
    ['GET', /^\/users$/, (ctx) => {
      requireSysadmin(ctx);
      list(ctx, store.listUsers({ username: ctx.url.searchParams.get('username') ?? undefined }).map(userJson));
    }],
    ['POST', /^\/users$/, async (ctx) => {
      requireSysadmin(ctx);
      const body = await jsonBody(ctx);
      // Only these fields are read: `sysadmin_flag` and friends in the body are ignored
      // (Harbor CVE-2019-16097 was a mass assignment of has_admin_role here).
      const { username, email, realname, comment, password } = body;
      if (typeof username !== 'string') throw new ApiError('BAD_REQUEST', 'username with illegal length');
      const bad = userNameError(username);
      if (bad) throw new ApiError('BAD_REQUEST', bad);
      // A user may not take a name that logs in as a robot.
      if (username.startsWith(d.accounts.robotPrefix)) throw new ApiError('BAD_REQUEST', 'username contains illegal characters');
      if (typeof password !== 'string' || !isStrongPassword(password)) {
        throw new ApiError('BAD_REQUEST', 'the password or secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number');
      }
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      const u = store.createUser({ username, email: str(email), realname: str(realname), comment: str(comment), passwordHash: await hashPassword(password) });
      audit(ctx, username, 'user', 'create');
      ok(ctx, 201, undefined, { Location: `/api/v2.0/users/${u.id}` });
    }],
    ['GET', /^\/users\/current$/, (ctx) => ok(ctx, 200, userJson(requireUser(ctx).user))],
    ['GET', /^\/users\/(\d+)$/, (ctx) => {
      const me = requireUser(ctx);
      const id = Number(ctx.params[0]);
      if (!me.user.sysadmin && me.user.id !== id) throw denied(ctx.caller);
      const u = store.getUser(id);
      if (!u) throw new ApiError('NOT_FOUND', `user ${id} not found`);
      ok(ctx, 200, userJson(u));
    }],
    ['PUT', /^\/users\/(\d+)\/sysadmin$/, async (ctx) => {
      requireSysadmin(ctx);
      const body = await jsonBody(ctx);
      if (typeof body.sysadmin_flag !== 'boolean') throw new ApiError('BAD_REQUEST', 'sysadmin_flag is required');
      store.setSysadmin(Number(ctx.params[0]), body.sysadmin_flag);
      ok(ctx, 200);
    }],
    ['PUT', /^\/users\/(\d+)\/password$/, async (ctx) => {
      const me = requireUser(ctx);
      const id = Number(ctx.params[0]);
      const u = store.getUser(id);
      if (!u) throw new ApiError('NOT_FOUND', `user ${id} not found`);
      const body = await jsonBody(ctx);
      if (me.user.id === id) {
        const r = await d.accounts.authenticate(u.username, typeof body.old_password === 'string' ? body.old_password : '');
        if (!r.ok) throw new ApiError('FORBIDDEN', 'Current password is incorrect');
      } else if (!me.user.sysadmin) throw denied(ctx.caller);
      if (typeof body.new_password !== 'string' || !isStrongPassword(body.new_password)) {
        throw new ApiError('BAD_REQUEST', 'the password or secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number');
      }
      store.setPassword(id, await hashPassword(body.new_password));
      d.onUserCredentialsChanged(id);
      ok(ctx, 200);
    }],
    ['DELETE', /^\/users\/(\d+)$/, (ctx) => {
      const me = requireUser(ctx);
      requireSysadmin(ctx);
      const id = Number(ctx.params[0]);
      if (me.user.id === id) throw new ApiError('FORBIDDEN', 'can not delete yourself');
      store.deleteUser(id);
      d.onUserCredentialsChanged(id);
      ok(ctx, 200);
    }],

    // ---- audit
    ['GET', /^\/audit-logs$/, (ctx) => {
      requireSysadmin(ctx);
      list(ctx, store.listAudit().map((a) => ({ id: a.id, op_time: a.opTime, username: a.username, resource: a.resource, resource_type: a.resourceType, operation: a.operation })));
    }],
  ];
  return r;
}

