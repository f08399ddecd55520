// Seams between the OCI distribution server and Harbor's model (auth/, meta/).
//
// The distribution server knows nothing of users, projects or robots: for every request it asks
// an AccessController what the caller may do to the repositories it touches, and it reports what
// happened (pushes, pulls, deletes) to RegistryEvents, which Harbor's model turns into pull counts,
// push/pull times and audit entries.
import type { IncomingMessage } from 'node:http';

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
