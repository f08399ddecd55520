// The REST API's front: resolves the caller (Basic credentials, or the console session cookie
// with its CSRF token), routes /api/v2.0/... to the handlers, renders errors once, and serves
// the console's /c/login and /c/log_out.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../common/log.js';
import type { MetaStore } from '../meta/index.js';
import type { Accounts } from '../auth/accounts.js';
import type { Caller } from '../auth/permissions.js';
import { BodyTooLarge, clientOf, parseBasic, parseCookies, readBody, sendJson } from '../auth/http-util.js';
import { ApiError, sendError, toApiError } from './errors.js';
import { routes, type ApiContext, type ApiDeps, type Route } from './handlers.js';
import { CSRF_HEADER, SESSION_COOKIE, Sessions, csrfMatches, type Session } from './session.js';

export { ApiError } from './errors.js';
export type { ApiDeps } from './handlers.js';

export const API_PREFIX = '/api/v2.0';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Harbor's REST API and console login over the model. */
export class HarborApi {
  private readonly table: Route[];
  readonly sessions: Sessions;

  constructor(private readonly deps: Omit<ApiDeps, 'onUserCredentialsChanged'>) {
    this.sessions = new Sessions(deps.now);
    this.table = routes({ ...deps, onUserCredentialsChanged: (id) => this.sessions.deleteUser(id) });
  }

  private get store(): MetaStore {
    return this.deps.store;
  }
  private get accounts(): Accounts {
    return this.deps.accounts;
  }
  private get log(): Logger {
    return this.deps.log;
  }

  /** Serves one /api/v2.0 request. */
  async handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const headers: Record<string, string> = { 'X-Request-Id': requestIdOf(req) };
    try {
      const { caller, session } = await this.callerOf(req);
      if (session) {
        headers['X-Harbor-CSRF-Token'] = session.csrf;
        if (!SAFE.has(req.method ?? 'GET') && !csrfMatches(session, header(req, CSRF_HEADER))) {
          throw new ApiError('FORBIDDEN', 'CSRF token invalid');
        }
      }
      const path = url.pathname.slice(API_PREFIX.length) || '/';
      let pathMatched = false;
      for (const [method, re, fn] of this.table) {
        const m = re.exec(path);
        if (!m) continue;
        pathMatched = true;
        if (method !== req.method) continue;
        await fn({ req, res, url, params: m.slice(1), caller, headers } satisfies ApiContext);
        return;
      }
      throw pathMatched ? new ApiError('METHOD_NOT_ALLOWED', 'method not allowed') : new ApiError('NOT_FOUND', `no API at ${path}`);
    } catch (e) {
      const err = toApiError(e);
      if (err.status >= 500) this.log.error({ err: e, path: url.pathname }, 'registry API request failed');
      if (!res.headersSent) sendError(res, err, headers);
      else res.destroy();
    }
  }

  /** Who is calling: Basic credentials win; else a live console session; else anonymous. */
  private async callerOf(req: IncomingMessage): Promise<{ caller: Caller; session?: Session }> {
    const basic = parseBasic(req.headers.authorization);
    if (basic) {
      const r = await this.accounts.authenticate(basic.name, basic.password, clientOf(req));
      if (!r.ok) {
        this.log.info({ user: basic.name, throttled: r.throttled }, 'registry API authentication failed');
        throw r.throttled ? new ApiError('TOO_MANY_REQUEST', 'too many failed logins, try again later') : new ApiError('UNAUTHORIZED', 'unauthorized');
      }
      return { caller: r.account };
    }
    const session = this.sessions.get(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
    if (session) {
      const user = this.store.getUser(session.userId);
      if (user) return { caller: { kind: 'user', name: user.username, user }, session };
    }
    return { caller: { kind: 'anonymous' } };
  }

  /** POST /c/login with form fields `principal` and `password`; GET /c/log_out. */
  async handleConsole(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const secure = new URL(this.deps.baseUrl).protocol === 'https:' ? '; Secure' : '';
    if (url.pathname === '/c/log_out') {
      const sid = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
      this.sessions.delete(sid);
      sendJson(res, 200, undefined, { 'Set-Cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}` });
      return true;
    }
    if (url.pathname !== '/c/login') return false;
    if (req.method !== 'POST') {
      sendError(res, new ApiError('METHOD_NOT_ALLOWED', 'method not allowed'), { Allow: 'POST' });
      return true;
    }
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        sendError(res, new ApiError('REQUEST_ENTITY_TOO_LARGE', 'request body too large'));
        return true;
      }
      throw e;
    }
    const principal = form.get('principal') ?? '';
    const r = await this.accounts.authenticate(principal, form.get('password') ?? '', clientOf(req));
    // Robots cannot sign into the console (Harbor's rule).
    if (!r.ok || r.account.kind !== 'user') {
      this.log.info({ user: principal }, 'console login failed');
      const throttled = !r.ok && r.throttled;
      sendError(res, throttled ? new ApiError('TOO_MANY_REQUEST', 'too many failed logins, try again later') : new ApiError('UNAUTHORIZED', 'invalid user name or password'));
      return true;
    }
    const { sid, session } = this.sessions.create(r.account.user.id);
    this.store.audit(r.account.user.username, r.account.user.username, 'user', 'login');
    sendJson(res, 200, undefined, {
      'Set-Cookie': `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict${secure}`,
      'X-Harbor-CSRF-Token': session.csrf,
    });
    return true;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function requestIdOf(req: IncomingMessage): string {
  const v = header(req, 'x-request-id');
  return v && /^[A-Za-z0-9._-]{1,128}$/.test(v) ? v : randomUUID();
}
