// Seams between the OCI distribution server and Harbor's model (auth/, meta/).
//
// The distribution server knows nothing of users, projects or robots: for every request it asks
// an AccessController what the caller may do to the repositories it touches, and it reports what
// happened (pushes, pulls, deletes) to RegistryEvents, which Harbor's model turns into pull counts,
// push/pull times and audit entries.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from './db.js';
import type { Logger } from '../common/log.js';

/** Actions as the Docker token scope grammar names them. */
export type Action = 'pull' | 'push' | 'delete' | '*';

/** One resource scope: `repository:library/busybox:pull,push`, or `registry:catalog:*`. */
export interface Scope {
  type: 'repository' | 'registry';
  name: string;
  actions: Action[];
}

/** Who made a request, once authenticated. */
export interface Principal {
  /** 'admin', a user name, or a robot's full name (`robot$proj+name`); undefined = anonymous. */
  name?: string;
  kind: 'anonymous' | 'user' | 'robot';
}

export type AccessResult =
  | { ok: true; principal: Principal; granted: Scope[] }
  /** 401 with the WWW-Authenticate challenge to send (Bearer realm=...,service=...,scope=...). */
  | { ok: false; status: 401; challenge: string; code: 'UNAUTHORIZED'; message: string }
  /** 403: authenticated but not allowed. */
  | { ok: false; status: 403; code: 'DENIED'; message: string };

/** Decides what a request may do. Called by the distribution server for every /v2/ request. */
export interface AccessController {
  /**
   * `required` lists what this request needs (e.g. repository:p/r:pull for a manifest GET, or
   * pull on the source and push on the target for a cross-repository mount). Returns ok with the
   * subset actually granted, or the 401/403 to answer.
   * Harbor's controller (auth/controller.ts) treats the first scope as mandatory (not granted in
   * full -> 401/403) and later scopes as optional: check `granted` for those.
   */
  authorize(req: IncomingMessage, required: Scope[]): Promise<AccessResult>;
}

/** What the distribution server reports after a request succeeds. */
export interface RegistryEvents {
  /** A manifest GET (not HEAD, not 304) succeeded: Harbor counts one pull. */
  manifestPulled(e: { repository: string; digest: string; tag?: string; principal: Principal }): void;
  /** A manifest PUT succeeded. */
  manifestPushed(e: { repository: string; digest: string; tag?: string; mediaType: string; size: number; principal: Principal }): void;
  /** A manifest or tag was deleted. */
  manifestDeleted(e: { repository: string; digest: string; tag?: string; principal: Principal }): void;
}

/** An AccessController that lets everyone do everything: for unit tests of the distribution API only. */
export const allowAll: AccessController = {
  async authorize(_req, required) {
    return { ok: true, principal: { kind: 'anonymous' }, granted: required };
  },
};

export const noEvents: RegistryEvents = {
  manifestPulled() {},
  manifestPushed() {},
  manifestDeleted() {},
};

/** A repository as the content index knows it (Harbor's repository = project/name...). */
export interface RepositoryInfo {
  name: string;
  artifactCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One artifact (a manifest or index by digest) with its tags. */
export interface ArtifactInfo {
  repository: string;
  digest: string;
  mediaType: string;
  /** Manifest size plus the sizes of the blobs it references (what Harbor shows as size). */
  size: number;
  pushedAt: Date;
  tags: Array<{ name: string; pushedAt: Date }>;
}

/**
 * Read and delete access to what the distribution server stores, for Harbor's REST API.
 * Implemented by the distribution part over the shared registry database.
 */
export interface RegistryContent {
  /** Every repository, sorted by name. */
  listRepositories(): RepositoryInfo[];
  /** Artifacts of one repository, newest push first. */
  listArtifacts(repository: string): ArtifactInfo[];
  /** By digest or tag; undefined when absent. */
  getArtifact(repository: string, reference: string): ArtifactInfo | undefined;
  deleteArtifact(repository: string, digest: string): boolean;
  deleteTag(repository: string, tag: string): boolean;
  /** Deletes every artifact and tag of the repository. */
  deleteRepository(repository: string): boolean;
}

/**
 * Harbor's model as the registry process composes it: auth/ (token service), meta/ (projects,
 * users, robots, members, counts, audit) and api/ (REST /api/v2.0, /c/login).
 */
export interface HarborModule {
  access: AccessController;
  events: RegistryEvents;
  /** Serves /service/token, /api/v2.0/..., /c/...; resolves false for a path it does not own. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

export interface HarborOptions {
  db: Db;
  dataDir: string;
  content: RegistryContent;
  /** The system admin's password (from a file or the environment, or generated by the CLI). */
  adminPassword: string;
  /** External base URL clients reach the registry at (token realm = `${baseUrl}/service/token`). */
  baseUrl: string;
  /** Robot name prefix, Harbor's default `robot$`. */
  robotPrefix?: string;
  /** Parent logger (optional); Harbor's module logs through a `component: harbor` child. */
  log?: Logger;
}
