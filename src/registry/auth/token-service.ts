// The token endpoint `/service/token` (distribution docs/spec/auth/token.md and oauth.md).
//
// GET  ?service=&scope=...&scope=...[&offline_token=true]   Basic credentials or anonymous
// POST form grant_type=password|refresh_token, username, password, refresh_token, scope,
//      service, client_id, access_type=offline               (what containerd sends)
//
// Bad credentials are the only 401 for a well-formed request: a caller without rights gets a
// token whose access lists fewer (or no) actions. Anonymous callers asking for no scope (what
// `docker login` does) get 401, as in Harbor (src/core/service/token/creator.go).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Scope } from '../access.js';
import type { MetaStore } from '../meta/index.js';
import type { Logger } from '../../common/log.js';
import type { Account, Accounts } from './accounts.js';
import type { TokenSigner } from './jwt.js';
import { allowedActions, type Caller } from './permissions.js';
import { formatScope, intersect, parseScopes } from './scope.js';
import { BodyTooLarge, clientOf, parseBasic, readBody, sendJson } from './http-util.js';

const unauthorized = (message: string) => ({ errors: [{ code: 'UNAUTHORIZED', message }] });

/** Serves the token endpoint. */
export class TokenService {
  constructor(
    private readonly store: MetaStore,
    private readonly accounts: Accounts,
    private readonly signer: TokenSigner,
    private readonly log: Logger,
  ) {}

  /** Handles GET and POST on /service/token. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'GET') return this.get(req, res, url);
    if (req.method === 'POST') return this.post(req, res);
    sendJson(res, 405, { errors: [{ code: 'METHOD_NOT_ALLOWED', message: 'method not allowed' }] }, { Allow: 'GET, POST' });
  }

  private grant(caller: Caller, scopes: Scope[]): Scope[] {
    return intersect(scopes, (s) => allowedActions(this.store, caller, s));
  }

  private async issue(caller: Caller, scopes: Scope[]) {
    const granted = this.grant(caller, scopes);
    const subject = caller.kind === 'anonymous' ? { sub: '', kind: 'anonymous' as const } : { sub: caller.name, kind: caller.kind };
    const t = await this.signer.signAccess(subject, granted);
    this.log.debug({ user: subject.sub, scopes: granted.map(formatScope) }, 'issued registry token');
    return { granted, ...t };
  }

  private async get(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const scopes = parseScopes(url.searchParams.getAll('scope'));
    let caller: Caller = { kind: 'anonymous' };
    const basic = parseBasic(req.headers.authorization);
    if (basic) {
      const r = await this.accounts.authenticate(basic.name, basic.password, clientOf(req));
      if (!r.ok) return this.refuse(res, basic.name, r.throttled);
      caller = r.account;
    } else if (scopes.length === 0) {
      sendJson(res, 401, unauthorized('authentication required'), { 'WWW-Authenticate': 'Basic realm="harbor"' });
      return;
    }
    const t = await this.issue(caller, scopes);
    const body: Record<string, unknown> = {
      token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt.toISOString(),
    };
    if (url.searchParams.get('offline_token') === 'true' && caller.kind !== 'anonymous') {
      body.refresh_token = await this.signer.signRefresh({ sub: caller.name, kind: caller.kind }, this.accounts.version(caller));
    }
    sendJson(res, 200, body, { 'Cache-Control': 'no-store' });
  }

  private refuse(res: ServerResponse, name: string, throttled: boolean): void {
    this.log.info({ user: name, throttled }, 'token request with bad credentials');
    if (throttled) {
      sendJson(res, 429, { errors: [{ code: 'TOO_MANY_REQUEST', message: 'too many failed logins, try again later' }] }, { 'Retry-After': '300' });
      return;
    }
    sendJson(res, 401, unauthorized('authentication required'), { 'WWW-Authenticate': 'Basic realm="harbor"' });
  }

  private async post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
    } catch (e) {
      if (e instanceof BodyTooLarge) return sendJson(res, 413, { error: 'invalid_request', error_description: 'form too large' });
      throw e;
    }
    const scopes = parseScopes(form.getAll('scope'));
    let account: Account;
    const grantType = form.get('grant_type');
    if (grantType === 'password') {
      const name = form.get('username') ?? '';
      const r = await this.accounts.authenticate(name, form.get('password') ?? '', clientOf(req));
      if (!r.ok) {
        this.log.info({ user: name, throttled: r.throttled }, 'token request with bad credentials');
        if (r.throttled) return sendJson(res, 429, { error: 'invalid_grant', error_description: 'too many failed logins' }, { 'Retry-After': '300' });
        return sendJson(res, 401, { error: 'invalid_grant', error_description: 'invalid username or password' });
      }
      account = r.account;
    } else if (grantType === 'refresh_token') {
      const v = await this.signer.verifyRefresh(form.get('refresh_token') ?? '');
      const a = v.ok && v.claims.kind !== 'anonymous' ? this.accounts.resolve(v.claims.kind, v.claims.sub) : undefined;
      if (!v.ok || !a || this.accounts.version(a) !== v.claims.ver) {
        return sendJson(res, 401, { error: 'invalid_grant', error_description: 'invalid refresh token' });
      }
      account = a;
    } else {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: `grant_type ${grantType ?? '(none)'} is not supported` });
    }
    const t = await this.issue(account, scopes);
    const body: Record<string, unknown> = {
      access_token: t.token, token: t.token, scope: t.granted.map(formatScope).join(' '),
      expires_in: t.expiresIn, issued_at: t.issuedAt.toISOString(),
    };
    if (form.get('access_type') === 'offline' || grantType === 'refresh_token') {
      body.refresh_token = grantType === 'refresh_token' ? form.get('refresh_token')
        : await this.signer.signRefresh({ sub: account.name, kind: account.kind }, this.accounts.version(account));
    }
    sendJson(res, 200, body, { 'Cache-Control': 'no-store' });
  }
}
