// Harbor's model for the registry: createHarborModule composes meta/ (users, projects, members,
// robots, counters, audit), auth/ (token service and access controller) and api/ (REST
// /api/v2.0 and the console login) over the shared registry database.
//
//   client ──/v2/──▶ distribution server ──authorize()──▶ HarborAccessController
//                           │ events (pull/push/delete)──▶ MetaStore counters + audit
//   client ──/service/token──▶ TokenService (JWT, Ed25519 key in DATA/auth/)
//   client ──/api/v2.0, /c/login──▶ HarborApi
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HarborModule, HarborOptions, RegistryEvents } from '../access.js';
import { silentLogger } from '../../common/log.js';
import { MetaStore, hashPassword, verifyPassword } from '../meta/index.js';
import { HarborApi, API_PREFIX } from '../api/index.js';
import { sendJson } from './http-util.js';
import { Accounts } from './accounts.js';
import { HarborAccessController } from './controller.js';
import { TokenSigner } from './jwt.js';
import { TokenService } from './token-service.js';

export { HarborAccessController, challenge, realmFor } from './controller.js';
export { TokenSigner, ISSUER, SERVICE, TOKEN_TTL_SECONDS } from './jwt.js';
export { parseScope, parseScopes, formatScope, intersect, covers } from './scope.js';

/** HarborOptions plus what tests and the CLI may inject. */
export interface HarborModuleOptions extends HarborOptions {
  /** Clock for token times, robot expiry and sessions (tests inject one). */
  now?: () => Date;
}

/** A HarborModule with its parts reachable (for the CLI and tests). */
export interface HarborModuleHandle extends HarborModule {
  store: MetaStore;
  signer: TokenSigner;
}

/**
 * Opens Harbor's model over `opts.db` (migrations under component 'meta'), bootstraps the
 * `admin` account from `opts.adminPassword` (the configured password always wins on start) and
 * the public `library` project on first start, and loads or creates the token signing key
 * under `opts.dataDir/auth/`. Called once by createRegistry.
 */
export async function createHarborModule(opts: HarborModuleOptions): Promise<HarborModuleHandle> {
  if (!opts.adminPassword) throw new Error('an admin password is required');
  const now = opts.now ?? (() => new Date());
  const log = (opts.log ?? silentLogger).child({ component: 'harbor' });
  const store = new MetaStore(opts.db, now);
  await store.bootstrap(await hashPassword(opts.adminPassword), (stored) => verifyPassword(opts.adminPassword, stored));
  const signer = TokenSigner.load(join(opts.dataDir, 'auth'), now);
  const accounts = new Accounts(store, opts.robotPrefix ?? 'robot$', now);
  const access = new HarborAccessController(store, accounts, signer, opts.baseUrl, log);
  const tokens = new TokenService(store, accounts, signer, log);
  const api = new HarborApi({ store, accounts, content: opts.content, baseUrl: opts.baseUrl, now, log });

  const guard = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log.error({ err, what }, 'recording a registry event failed');
    }
  };
  const who = (p: { name?: string }) => p.name ?? 'anonymous';
  const events: RegistryEvents = {
    manifestPulled: (e) => guard('pull', () => {
      store.recordPull(e.repository, e.digest, e.tag);
      store.audit(who(e.principal), e.tag ? `${e.repository}:${e.tag}` : `${e.repository}@${e.digest}`, 'artifact', 'pull');
    }),
    manifestPushed: (e) => guard('push', () => {
      store.recordPush(e.repository, e.digest, e.tag);
      store.audit(who(e.principal), e.tag ? `${e.repository}:${e.tag}` : `${e.repository}@${e.digest}`, 'artifact', 'create');
    }),
    manifestDeleted: (e) => guard('delete', () => {
      store.recordDelete(e.repository, e.digest, e.tag);
      store.audit(who(e.principal), e.tag ? `${e.repository}:${e.tag}` : `${e.repository}@${e.digest}`, 'artifact', 'delete');
    }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://registry.invalid');
    try {
      if (url.pathname === '/service/token') {
        await tokens.handle(req, res, url);
        return true;
      }
      if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
        await api.handleApi(req, res, url);
        return true;
      }
      if (url.pathname.startsWith('/c/')) return await api.handleConsole(req, res, url);
      return false;
    } catch (err) {
      log.error({ err, path: url.pathname }, 'harbor request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
      else res.destroy();
      return true;
    }
  }

  return { access, events, handle, store, signer, close: async () => {} };
}
