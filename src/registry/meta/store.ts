// MetaStore: Harbor's model over the shared registry database. Synchronous (better-sqlite3),
// so a pull recorded by RegistryEvents is visible to the next API read at once.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import { migrate } from '../db.js';
import { META_COMPONENT, META_MIGRATIONS } from './schema.js';
import { Role, type RoleId } from './roles.js';

/** One failure of the model, with Harbor's error code; the REST API maps it to a status once. */
export class MetaError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'CONFLICT' | 'BAD_REQUEST' | 'PRECONDITION' | 'FORBIDDEN', message: string) {
    super(message);
    this.name = 'MetaError';
  }
}

/** A local user account. */
export interface User {
  id: number;
  username: string;
  email: string;
  realname: string;
  comment: string;
  sysadmin: boolean;
  /** Bumped on every password change; refresh tokens carry it and die with the old password. */
  credentialVersion: number;
  passwordHash: string;
  creationTime: string;
  updateTime: string;
}

/** A project: the unit of ownership and visibility. */
export interface Project {
  id: number;
  name: string;
  ownerId: number;
  ownerName: string;
  public: boolean;
  creationTime: string;
  updateTime: string;
}

/** A user's membership of a project. */
export interface Member {
  id: number;
  projectId: number;
  userId: number;
  username: string;
  roleId: RoleId;
}

/** Harbor's robot permission model (swagger `RobotPermission` / `Access`). */
export interface RobotAccess {
  resource: string;
  action: string;
  effect?: string;
}
export interface RobotPermission {
  kind: 'project';
  /** A project name, or `*` for every project (system robots only). */
  namespace: string;
  access: RobotAccess[];
}

/** A robot account. `name` is the short name; the login name adds the prefix and project. */
export interface Robot {
  id: number;
  name: string;
  description: string;
  level: 'project' | 'system';
  projectId: number | null;
  secretHash: string;
  duration: number;
  /** Unix seconds, -1 = never. */
  expiresAt: number;
  disabled: boolean;
  permissions: RobotPermission[];
  creatorType: string;
  creatorRef: number;
  credentialVersion: number;
  creationTime: string;
  updateTime: string;
}

/** Harbor's counters and times for one repository. */
export interface RepositoryStats {
  id: number;
  name: string;
  pullCount: number;
  creationTime: string;
  updateTime: string;
}

/** Push and pull times of an artifact or tag (null = never). */
export interface Times {
  id: number;
  pushTime: string | null;
  pullTime: string | null;
}

/** One audit log entry. */
export interface AuditEntry {
  id: number;
  opTime: string;
  username: string;
  resource: string;
  resourceType: string;
  operation: string;
}

type Row = Record<string, any>;

function toUser(r: Row): User {
  return {
    id: r.id, username: r.username, email: r.email, realname: r.realname, comment: r.comment,
    sysadmin: r.sysadmin === 1, credentialVersion: r.credential_version, passwordHash: r.password_hash,
    creationTime: r.creation_time, updateTime: r.update_time,
  };
}
function toProject(r: Row): Project {
  return {
    id: r.id, name: r.name, ownerId: r.owner_id, ownerName: r.owner_name ?? '', public: r.public === 1,
    creationTime: r.creation_time, updateTime: r.update_time,
  };
}
function toRobot(r: Row): Robot {
  return {
    id: r.id, name: r.name, description: r.description, level: r.level, projectId: r.project_id,
    secretHash: r.secret_hash, duration: r.duration, expiresAt: r.expires_at, disabled: r.disabled === 1,
    permissions: JSON.parse(r.permissions) as RobotPermission[], creatorType: r.creator_type,
    creatorRef: r.creator_ref, credentialVersion: r.credential_version,
    creationTime: r.creation_time, updateTime: r.update_time,
  };
}

const PROJECT_SELECT = 'SELECT p.*, u.username AS owner_name FROM meta_projects p LEFT JOIN meta_users u ON u.id = p.owner_id';

/**
 * Users, projects, members, robots, counts and audit entries in SQLite. Created by
 * createHarborModule; the token service, the access controller and the REST API share one.
 */
export class MetaStore {
  constructor(private readonly db: Db, private readonly now: () => Date = () => new Date()) {
    migrate(db, META_COMPONENT, META_MIGRATIONS);
  }

  private readonly statements = new Map<string, Statement>();

  /** A prepared statement, compiled once per SQL text (the access path runs several per request). */
  private q(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private ts(): string {
    return this.now().toISOString();
  }

  /**
   * Creates the system admin `admin` (and, on first boot, the public project `library` as
   * Harbor does) or resets the admin's password hash when the configured password changed.
   * `hash` is the scrypt hash of the configured password; `matches` says whether the stored hash
   * already verifies it (checked by the caller, which owns the KDF).
   */
  bootstrap(hash: string, matches: (stored: string) => Promise<boolean>): Promise<void> {
    const existing = this.getUserByName('admin');
    if (!existing) {
      this.db.transaction(() => {
        const t = this.ts();
        const info = this.q(
          'INSERT INTO meta_users (username, realname, comment, password_hash, sysadmin, creation_time, update_time) VALUES (?, ?, ?, ?, 1, ?, ?)',
        ).run('admin', 'system admin', 'admin user', hash, t, t);
        const count = (this.q('SELECT COUNT(*) AS n FROM meta_projects').get() as Row).n as number;
        if (count === 0) this.insertProject('library', Number(info.lastInsertRowid), true);
      })();
      return Promise.resolve();
    }
    return matches(existing.passwordHash).then((ok) => {
      if (!ok) this.setPassword(existing.id, hash);
    });
  }

  // ---- users

  /** Creates a user; CONFLICT when the name is taken. */
  createUser(u: { username: string; email?: string; realname?: string; comment?: string; passwordHash: string }): User {
    if (this.getUserByName(u.username)) throw new MetaError('CONFLICT', `user ${u.username} already exists`);
    const t = this.ts();
    const info = this.q(
      'INSERT INTO meta_users (username, email, realname, comment, password_hash, sysadmin, creation_time, update_time) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
    ).run(u.username, u.email ?? '', u.realname ?? '', u.comment ?? '', u.passwordHash, t, t);
    return this.getUser(Number(info.lastInsertRowid))!;
  }

  /** A user by id. */
  getUser(id: number): User | undefined {
    const r = this.q('SELECT * FROM meta_users WHERE id = ?').get(id) as Row | undefined;
    return r && toUser(r);
  }

  /** A user by login name. */
  getUserByName(username: string): User | undefined {
    const r = this.q('SELECT * FROM meta_users WHERE username = ?').get(username) as Row | undefined;
    return r && toUser(r);
  }

  /** Users sorted by id, optionally filtered by a username substring. */
  listUsers(filter?: { username?: string }): User[] {
    const rows = filter?.username
      ? this.q("SELECT * FROM meta_users WHERE instr(username, ?) > 0 ORDER BY id").all(filter.username)
      : this.q('SELECT * FROM meta_users ORDER BY id').all();
    return (rows as Row[]).map(toUser);
  }

  /** Replaces a password hash and bumps the credential version (old refresh tokens die). */
  setPassword(id: number, passwordHash: string): void {
    this.q('UPDATE meta_users SET password_hash = ?, credential_version = credential_version + 1, update_time = ? WHERE id = ?')
      .run(passwordHash, this.ts(), id);
  }

  /** Grants or revokes the system admin role. */
  setSysadmin(id: number, sysadmin: boolean): void {
    const r = this.q('UPDATE meta_users SET sysadmin = ?, update_time = ? WHERE id = ?').run(sysadmin ? 1 : 0, this.ts(), id);
    if (r.changes === 0) throw new MetaError('NOT_FOUND', `user ${id} not found`);
  }

  /** Deletes a user with its memberships; the bootstrap admin cannot be deleted. */
  deleteUser(id: number): void {
    const u = this.getUser(id);
    if (!u) throw new MetaError('NOT_FOUND', `user ${id} not found`);
    if (u.username === 'admin') throw new MetaError('FORBIDDEN', 'can not delete the admin user');
    const owns = this.q('SELECT COUNT(*) AS n FROM meta_projects WHERE owner_id = ?').get(id) as Row;
    if (owns.n > 0) throw new MetaError('PRECONDITION', `user ${u.username} owns projects, can not be deleted`);
    this.q('DELETE FROM meta_users WHERE id = ?').run(id);
  }

  // ---- projects

  private insertProject(name: string, ownerId: number, isPublic: boolean): number {
    const t = this.ts();
    const info = this.q('INSERT INTO meta_projects (name, owner_id, public, creation_time, update_time) VALUES (?, ?, ?, ?, ?)')
      .run(name, ownerId, isPublic ? 1 : 0, t, t);
    const id = Number(info.lastInsertRowid);
    this.q('INSERT INTO meta_members (project_id, user_id, role_id, creation_time, update_time) VALUES (?, ?, ?, ?, ?)')
      .run(id, ownerId, Role.ProjectAdmin, t, t);
    return id;
  }

  /** Creates a project owned by `ownerId`, who becomes its ProjectAdmin (as in Harbor). */
  createProject(name: string, isPublic: boolean, ownerId: number): Project {
    if (this.getProject(name)) throw new MetaError('CONFLICT', `The project named ${name} already exists`);
    const id = this.db.transaction(() => this.insertProject(name, ownerId, isPublic))();
    return this.getProject(id)!;
  }

  /** By id (a number) or by name (a string). */
  getProject(nameOrId: string | number): Project | undefined {
    const r = typeof nameOrId === 'number'
      ? this.q(`${PROJECT_SELECT} WHERE p.id = ?`).get(nameOrId)
      : this.q(`${PROJECT_SELECT} WHERE p.name = ?`).get(nameOrId);
    return r ? toProject(r as Row) : undefined;
  }

  /** Projects sorted by name. */
  listProjects(): Project[] {
    return (this.q(`${PROJECT_SELECT} ORDER BY p.name`).all() as Row[]).map(toProject);
  }

  /** Makes a project public or private. */
  setProjectPublic(id: number, isPublic: boolean): void {
    this.q('UPDATE meta_projects SET public = ?, update_time = ? WHERE id = ?').run(isPublic ? 1 : 0, this.ts(), id);
  }

  /** Deletes a project, its members and robots (the caller checks it holds no repositories). */
  deleteProject(id: number): void {
    const p = this.getProject(id);
    if (!p) throw new MetaError('NOT_FOUND', `project ${id} not found`);
    this.db.transaction(() => {
      this.q('DELETE FROM meta_projects WHERE id = ?').run(id);
      const like = `${p.name}/%`;
      this.q('DELETE FROM meta_repositories WHERE name LIKE ?').run(like);
      this.q('DELETE FROM meta_artifacts WHERE repository LIKE ?').run(like);
      this.q('DELETE FROM meta_tags WHERE repository LIKE ?').run(like);
    })();
  }

  // ---- members

  /** Adds a user to a project with a role; CONFLICT when already a member. */
  addMember(projectId: number, userId: number, roleId: RoleId): Member {
    if (this.roleOf(projectId, userId) !== undefined) throw new MetaError('CONFLICT', 'The user is already a member of the project');
    const t = this.ts();
    const info = this.q('INSERT INTO meta_members (project_id, user_id, role_id, creation_time, update_time) VALUES (?, ?, ?, ?, ?)')
      .run(projectId, userId, roleId, t, t);
    return this.getMember(projectId, Number(info.lastInsertRowid))!;
  }

  /** One member of one project: a member id of another project is NOT_FOUND (no IDOR). */
  getMember(projectId: number, memberId: number): Member | undefined {
    const r = this.q(
      'SELECT m.*, u.username FROM meta_members m JOIN meta_users u ON u.id = m.user_id WHERE m.project_id = ? AND m.id = ?',
    ).get(projectId, memberId) as Row | undefined;
    return r && { id: r.id, projectId: r.project_id, userId: r.user_id, username: r.username, roleId: r.role_id };
  }

  /** Members of a project, oldest first. */
  listMembers(projectId: number): Member[] {
    return (this.q(
      'SELECT m.*, u.username FROM meta_members m JOIN meta_users u ON u.id = m.user_id WHERE m.project_id = ? ORDER BY m.id',
    ).all(projectId) as Row[]).map((r) => ({ id: r.id, projectId: r.project_id, userId: r.user_id, username: r.username, roleId: r.role_id }));
  }

  /** Changes a member's role; NOT_FOUND unless the member belongs to the project. */
  updateMember(projectId: number, memberId: number, roleId: RoleId): void {
    const r = this.q('UPDATE meta_members SET role_id = ?, update_time = ? WHERE project_id = ? AND id = ?').run(roleId, this.ts(), projectId, memberId);
    if (r.changes === 0) throw new MetaError('NOT_FOUND', `member ${memberId} not found`);
  }

  /** Removes a member; NOT_FOUND unless the member belongs to the project. */
  deleteMember(projectId: number, memberId: number): void {
    const r = this.q('DELETE FROM meta_members WHERE project_id = ? AND id = ?').run(projectId, memberId);
    if (r.changes === 0) throw new MetaError('NOT_FOUND', `member ${memberId} not found`);
  }

  /** The user's role in the project, undefined when not a member. */
  roleOf(projectId: number, userId: number): RoleId | undefined {
    const r = this.q('SELECT role_id FROM meta_members WHERE project_id = ? AND user_id = ?').get(projectId, userId) as Row | undefined;
    return r?.role_id as RoleId | undefined;
  }

  /** Project ids where the user is a member, with the role. */
  membershipsOf(userId: number): Map<number, RoleId> {
    const rows = this.q('SELECT project_id, role_id FROM meta_members WHERE user_id = ?').all(userId) as Row[];
    return new Map(rows.map((r) => [r.project_id as number, r.role_id as RoleId]));
  }

  // ---- robots

  /** Inserts a robot; CONFLICT when the name is taken at its level (and project). */
  createRobot(r: Omit<Robot, 'id' | 'creationTime' | 'updateTime' | 'credentialVersion'>): Robot {
    const dup = this.q('SELECT id FROM meta_robots WHERE level = ? AND IFNULL(project_id, 0) = ? AND name = ?')
      .get(r.level, r.projectId ?? 0, r.name);
    if (dup) throw new MetaError('CONFLICT', `robot account ${r.name} already exists`);
    const t = this.ts();
    const info = this.q(
      `INSERT INTO meta_robots (name, description, level, project_id, secret_hash, duration, expires_at, disabled, permissions,
        creator_type, creator_ref, creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(r.name, r.description, r.level, r.projectId, r.secretHash, r.duration, r.expiresAt, r.disabled ? 1 : 0,
      JSON.stringify(r.permissions), r.creatorType, r.creatorRef, t, t);
    return this.getRobot(Number(info.lastInsertRowid))!;
  }

  /** A robot by id. */
  getRobot(id: number): Robot | undefined {
    const r = this.q('SELECT * FROM meta_robots WHERE id = ?').get(id) as Row | undefined;
    return r && toRobot(r);
  }

  /** Finds a robot by level, project and short name. */
  findRobot(level: 'project' | 'system', projectId: number | null, name: string): Robot | undefined {
    const r = this.q('SELECT * FROM meta_robots WHERE level = ? AND IFNULL(project_id, 0) = ? AND name = ?')
      .get(level, projectId ?? 0, name) as Row | undefined;
    return r && toRobot(r);
  }

  /** Robots sorted by id, optionally only one level and/or one project. */
  listRobots(filter: { level?: 'project' | 'system'; projectId?: number } = {}): Robot[] {
    const rows = this.q('SELECT * FROM meta_robots ORDER BY id').all() as Row[];
    return rows.map(toRobot).filter((r) =>
      (filter.level === undefined || r.level === filter.level) && (filter.projectId === undefined || r.projectId === filter.projectId));
  }

  /** Updates the editable fields of a robot (description, duration/expiry, disable, permissions). */
  updateRobot(id: number, u: { description: string; duration: number; expiresAt: number; disabled: boolean; permissions: RobotPermission[] }): void {
    this.q('UPDATE meta_robots SET description = ?, duration = ?, expires_at = ?, disabled = ?, permissions = ?, update_time = ? WHERE id = ?')
      .run(u.description, u.duration, u.expiresAt, u.disabled ? 1 : 0, JSON.stringify(u.permissions), this.ts(), id);
  }

  /** Replaces a robot's secret hash; the old secret stops working at once. */
  setRobotSecret(id: number, secretHash: string): void {
    this.q('UPDATE meta_robots SET secret_hash = ?, credential_version = credential_version + 1, update_time = ? WHERE id = ?')
      .run(secretHash, this.ts(), id);
  }

  /** Deletes a robot; its secret and tokens stop working at once. */
  deleteRobot(id: number): void {
    const r = this.q('DELETE FROM meta_robots WHERE id = ?').run(id);
    if (r.changes === 0) throw new MetaError('NOT_FOUND', `robot ${id} not found`);
  }

  // ---- repositories, artifacts, tags: Harbor's counters and times

  private ensureRepository(name: string, t: string): void {
    this.q('INSERT INTO meta_repositories (name, creation_time, update_time) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, t, t);
  }

  /** A manifest PUT: the repository exists from now on; artifact and tag get a push time. */
  recordPush(repository: string, digest: string, tag: string | undefined): void {
    const t = this.ts();
    this.db.transaction(() => {
      this.ensureRepository(repository, t);
      this.q('UPDATE meta_repositories SET update_time = ? WHERE name = ?').run(t, repository);
      this.q(`INSERT INTO meta_artifacts (repository, digest, push_time) VALUES (?, ?, ?)
        ON CONFLICT (repository, digest) DO UPDATE SET push_time = excluded.push_time`).run(repository, digest, t);
      if (tag !== undefined) {
        this.q(`INSERT INTO meta_tags (repository, name, push_time) VALUES (?, ?, ?)
          ON CONFLICT (repository, name) DO UPDATE SET push_time = excluded.push_time`).run(repository, tag, t);
      }
    })();
  }

  /**
   * A counted pull (a successful manifest GET): pull_count + 1 on the repository, pull_time on
   * the artifact and on the tag pulled by (harbor src/controller/event/handler/internal/artifact.go).
   */
  recordPull(repository: string, digest: string, tag: string | undefined): void {
    const t = this.ts();
    this.db.transaction(() => {
      this.ensureRepository(repository, t);
      this.q('UPDATE meta_repositories SET pull_count = pull_count + 1 WHERE name = ?').run(repository);
      this.q(`INSERT INTO meta_artifacts (repository, digest, pull_time) VALUES (?, ?, ?)
        ON CONFLICT (repository, digest) DO UPDATE SET pull_time = excluded.pull_time`).run(repository, digest, t);
      if (tag !== undefined) {
        this.q(`INSERT INTO meta_tags (repository, name, pull_time) VALUES (?, ?, ?)
          ON CONFLICT (repository, name) DO UPDATE SET pull_time = excluded.pull_time`).run(repository, tag, t);
      }
    })();
  }

  /** A manifest or tag deletion: forget its times. */
  recordDelete(repository: string, digest: string, tag: string | undefined): void {
    if (tag !== undefined) this.q('DELETE FROM meta_tags WHERE repository = ? AND name = ?').run(repository, tag);
    else this.q('DELETE FROM meta_artifacts WHERE repository = ? AND digest = ?').run(repository, digest);
  }

  /** Forgets a repository's counters (the repository was deleted). */
  deleteRepositoryStats(repository: string): void {
    this.db.transaction(() => {
      this.q('DELETE FROM meta_repositories WHERE name = ?').run(repository);
      this.q('DELETE FROM meta_artifacts WHERE repository = ?').run(repository);
      this.q('DELETE FROM meta_tags WHERE repository = ?').run(repository);
    })();
  }

  /** Counters of a repository, creating its row (and id) if it has none yet. */
  repositoryStats(name: string): RepositoryStats {
    this.ensureRepository(name, this.ts());
    const r = this.q('SELECT * FROM meta_repositories WHERE name = ?').get(name) as Row;
    return { id: r.id, name: r.name, pullCount: r.pull_count, creationTime: r.creation_time, updateTime: r.update_time };
  }

  /** Times of an artifact, creating its row (and id) if it has none yet. */
  artifactTimes(repository: string, digest: string): Times {
    this.q('INSERT INTO meta_artifacts (repository, digest) VALUES (?, ?) ON CONFLICT DO NOTHING').run(repository, digest);
    const r = this.q('SELECT * FROM meta_artifacts WHERE repository = ? AND digest = ?').get(repository, digest) as Row;
    return { id: r.id, pushTime: r.push_time, pullTime: r.pull_time };
  }

  /** Times of a tag, creating its row (and id) if it has none yet. */
  tagTimes(repository: string, tag: string): Times {
    this.q('INSERT INTO meta_tags (repository, name) VALUES (?, ?) ON CONFLICT DO NOTHING').run(repository, tag);
    const r = this.q('SELECT * FROM meta_tags WHERE repository = ? AND name = ?').get(repository, tag) as Row;
    return { id: r.id, pushTime: r.push_time, pullTime: r.pull_time };
  }

  // ---- audit log

  /** Appends an audit entry (Harbor's operations: create, delete, pull, login ...). */
  audit(username: string, resource: string, resourceType: string, operation: string): void {
    this.q('INSERT INTO meta_audit (op_time, username, resource, resource_type, operation) VALUES (?, ?, ?, ?, ?)')
      .run(this.ts(), username, resource, resourceType, operation);
  }

  /** Audit entries, newest first. */
  listAudit(): AuditEntry[] {
    return (this.q('SELECT * FROM meta_audit ORDER BY id DESC').all() as Row[]).map((r) => ({
      id: r.id, opTime: r.op_time, username: r.username, resource: r.resource, resourceType: r.resource_type, operation: r.operation,
    }));
  }
}
