// Harbor's model in the shared registry database (component 'meta'): users, projects, members,
// robot accounts, per-repository pull counts, per-artifact and per-tag push/pull times, audit log.
// Content itself (manifests, tags, blobs) belongs to the distribution part ('content' tables);
// these tables only hold what Harbor adds on top, keyed by repository name and digest.
import type { Migration } from '../db.js';

export const META_COMPONENT = 'meta';

export const META_MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE meta_users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL DEFAULT '',
        realname TEXT NOT NULL DEFAULT '',
        comment TEXT NOT NULL DEFAULT '',
        password_hash TEXT NOT NULL,
        sysadmin INTEGER NOT NULL DEFAULT 0,
        credential_version INTEGER NOT NULL DEFAULT 1,
        creation_time TEXT NOT NULL,
        update_time TEXT NOT NULL
      );
      CREATE TABLE meta_projects (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        owner_id INTEGER NOT NULL REFERENCES meta_users(id),
        public INTEGER NOT NULL DEFAULT 0,
        creation_time TEXT NOT NULL,
        update_time TEXT NOT NULL
      );
      CREATE TABLE meta_members (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id INTEGER NOT NULL REFERENCES meta_projects(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES meta_users(id) ON DELETE CASCADE,
        role_id INTEGER NOT NULL,
        creation_time TEXT NOT NULL,
        update_time TEXT NOT NULL,
        UNIQUE (project_id, user_id)
      );
      CREATE TABLE meta_robots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        level TEXT NOT NULL,
        project_id INTEGER REFERENCES meta_projects(id) ON DELETE CASCADE,
        secret_hash TEXT NOT NULL,
        duration INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        permissions TEXT NOT NULL,
        creator_type TEXT NOT NULL,
        creator_ref INTEGER NOT NULL,
        credential_version INTEGER NOT NULL DEFAULT 1,
        creation_time TEXT NOT NULL,
        update_time TEXT NOT NULL
      );
      CREATE UNIQUE INDEX meta_robots_name ON meta_robots (level, IFNULL(project_id, 0), name);
      CREATE TABLE meta_repositories (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        pull_count INTEGER NOT NULL DEFAULT 0,
        creation_time TEXT NOT NULL,
        update_time TEXT NOT NULL
      );
      CREATE TABLE meta_artifacts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        repository TEXT NOT NULL,
        digest TEXT NOT NULL,
        push_time TEXT,
        pull_time TEXT,
        UNIQUE (repository, digest)
      );
      CREATE TABLE meta_tags (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        repository TEXT NOT NULL,
        name TEXT NOT NULL,
        push_time TEXT,
        pull_time TEXT,
        UNIQUE (repository, name)
      );
      CREATE TABLE meta_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        op_time TEXT NOT NULL,
        username TEXT NOT NULL,
        resource TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        operation TEXT NOT NULL
      );
    `,
  },
];
