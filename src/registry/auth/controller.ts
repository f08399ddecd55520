// The AccessController the distribution server consults on every /v2/ request.
//
// No Authorization header: 401 with a Bearer challenge naming the realm, service and scope, even
// for public projects (Harbor forces this so clients fetch an anonymous token: harbor
// src/server/middleware/v2auth/auth.go, harbor#11271). Basic credentials are accepted directly
// (users and robots). Bearer tokens are verified (signature, alg, iss, aud, exp, nbf), their
// account re-read (a deleted user or a disabled, expired or deleted robot loses access at once),
// and the grant is what the token carries AND what the account may still do now.
// Missing rights: with a token, 401 with error="insufficient_scope" (distribution's behaviour,
// so clients fetch a better token); with Basic credentials, 403 DENIED.
import type { IncomingMessage } from 'node:http';
import type { AccessController, AccessResult, Principal, Scope } from '../access.js';
import type { MetaStore } from '../meta/index.js';
import type { Logger } from '../../common/log.js';
import type { Accounts } from './accounts.js';
import type { TokenSigner } from './jwt.js';
import { SERVICE } from './jwt.js';
import { allowedActions, type Caller } from './permissions.js';
import { covers, formatScope, intersect } from './scope.js';
import { clientOf, parseBasic, parseBearer } from './http-util.js';

const HOST = /^[A-Za-z0-9.\-:[\]]+$/;

/** Builds the token realm for a request: the base URL's scheme with the Host the client used. */
export function realmFor(baseUrl: string, req: IncomingMessage): string {
  const base = new URL(baseUrl);
  const host = req.headers.host;
  const origin = host && HOST.test(host) ? `${base.protocol}//${host}` : base.origin;
  return `${origin}/service/token`;
}

/** The WWW-Authenticate value for a 401. */
export function challenge(realm: string, scopes: Scope[], error?: 'invalid_token' | 'insufficient_scope'): string {
  let c = `Bearer realm="${realm}",service="${SERVICE}"`;
  const s = scopes.map(formatScope).join(' ');
  if (s) c += `,scope="${s}"`;
  if (error) c += `,error="${error}"`;
  return c;
}

/** The Principal the distribution server reports events with. */
export function principalOf(caller: Caller): Principal {
  return caller.kind === 'anonymous' ? { kind: 'anonymous' } : { kind: caller.kind, name: caller.name };
}

/** Harbor's access rules for the distribution API. */
export class HarborAccessController implements AccessController {
  constructor(
    private readonly store: MetaStore,
    private readonly accounts: Accounts,
    private readonly signer: TokenSigner,
    private readonly baseUrl: string,
    private readonly log: Logger,
  ) {}

  /**
   * Resolves the caller. The first required scope is what the request needs: ok only when it is
   * granted in full, else the 401/403. Further scopes are optional (a cross-repository mount's
   * source): `granted` lists, for every required scope, the actions the caller holds.
   */
  async authorize(req: IncomingMessage, required: Scope[]): Promise<AccessResult> {
    const realm = realmFor(this.baseUrl, req);
    const deny401 = (message: string, error?: 'invalid_token' | 'insufficient_scope'): AccessResult =>
      ({ ok: false, status: 401, challenge: challenge(realm, required, error), code: 'UNAUTHORIZED', message });
    const header = req.headers.authorization;
    if (!header) return deny401('authentication required');

    let caller: Caller;
    let tokenAccess: Scope[] | undefined;
    const basic = parseBasic(header);
    const bearer = basic ? undefined : parseBearer(header);
    if (basic) {
      const r = await this.accounts.authenticate(basic.name, basic.password, clientOf(req));
      if (!r.ok) {
        this.log.info({ user: basic.name, throttled: r.throttled }, 'registry basic authentication failed');
        return deny401('invalid credentials');
      }
      caller = r.account;
    } else if (bearer) {
      const v = await this.signer.verifyAccess(bearer);
      if (!v.ok) {
        this.log.info({ reason: v.reason }, 'registry token refused');
        return deny401('invalid token', 'invalid_token');
      }
      if (v.claims.kind === 'anonymous') caller = { kind: 'anonymous' };
      else {
        const account = this.accounts.resolve(v.claims.kind, v.claims.sub);
        if (!account) return deny401('the account of this token is gone, disabled or expired', 'invalid_token');
        caller = account;
      }
      tokenAccess = v.claims.access;
    } else {
      return deny401('unsupported authorization scheme');
    }

    const live = intersect(required, (s) => allowedActions(this.store, caller, s));
    const granted = tokenAccess ? live.map((g) => ({ ...g, actions: g.actions.filter((a) => covers(tokenAccess, { ...g, actions: [a] })) })) : live;
    if (required.length === 0 || covers(granted, required[0])) return { ok: true, principal: principalOf(caller), granted };
    if (tokenAccess) return deny401('insufficient scope', 'insufficient_scope');
    return { ok: false, status: 403, code: 'DENIED', message: 'requested access to the resource is denied' };
  }
}
