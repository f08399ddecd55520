// The registry's public face: createRegistry() composes the shared SQLite file, a blob driver, the
// upload state machine, the content index, the OCI distribution API and, when present, Harbor's
// module (auth/, meta/, api/), and serves them over HTTP or HTTPS.
//
// Data directory:
//   registry.db            shared metadata (schema_migrations per component; 'content' is ours)
//   blobs/<alg>/<xx>/<hex> committed blobs (FilesystemDriver)
//   uploads/<uuid>/data    uploads in progress
//   tls/                   CA and serving certificate (written by the CLI)
import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { DEFAULT_CIPHERS } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { allowAll, noEvents, type AccessController, type HarborModule, type HarborOptions, type RegistryContent, type RegistryEvents } from './access.js';
import { ContentIndex } from './content.js';
import { createConsoleHandler, defaultAssetsDir } from './console/index.js';
import { openRegistryDb, type Db } from './db.js';
import { DistributionApi } from './server.js';
import { FilesystemDriver } from './storage/filesystem.js';
import { MemoryDriver } from './storage/memory.js';
import type { BlobDriver } from './storage/types.js';
import { UploadManager } from './upload.js';

export type { BlobDriver } from './storage/types.js';
export { FilesystemDriver } from './storage/filesystem.js';
export { MemoryDriver } from './storage/memory.js';
export { ContentIndex } from './content.js';
export { RegistryError } from './errors.js';

/** How to build a registry. */
export interface RegistryOptions {
  /** Holds registry.db and, with the filesystem driver, blobs/ and uploads/. Created if missing. */
  dataDir: string;
  /** 'filesystem' (default), 'memory', or a driver instance. */
  driver?: 'filesystem' | 'memory' | BlobDriver;
  /** Listen address; port 0 picks a free port. Defaults 127.0.0.1:0. */
  host?: string;
  port?: number;
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP when absent. */
  tls?: { cert: string; key: string };
  /**
   * 'auto' (default): load Harbor's module (auth/index.ts createHarborModule) when it exists;
   * 'none': use `access` and `events` (tests of the distribution API alone).
   */
  harbor?: 'auto' | 'none';
  access?: AccessController;
  events?: RegistryEvents;
  /** The system admin's password, handed to Harbor's module. */
  adminPassword?: string;
  /** The web console's built assets; default `web/dist` under the package root. */
  consoleAssetsDir?: string;
  /** External base URL (token realm base); derived from the listen address when absent. */
  baseUrl?: string;
  robotPrefix?: string;
  log?: Logger;
  /** Clock in ms since the epoch (upload expiry, push times). */
  now?: () => number;
  uploadTtlMs?: number;
  /** How often idle uploads are purged; default 10 minutes. */
  purgeIntervalMs?: number;
}

/** A running registry. */
export interface Registry {
  /** `http(s)://host:port` as clients reach it. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly db: Db;
  readonly content: RegistryContent;
  readonly uploads: UploadManager;
  /** True when Harbor's module (users, projects, tokens) is serving auth. */
  readonly harbor: boolean;
  /** Stops listening, ends keep-alive connections, closes the database. */
  close(): Promise<void>;
}

/** createHarborModule's signature; it also takes the parent logger. */
type CreateHarbor = (opts: HarborOptions & { log?: Logger }) => Promise<HarborModule>;

async function loadHarbor(log: Logger): Promise<CreateHarbor | undefined> {
  // Loaded by a computed specifier: Harbor's module is built in parallel and may be absent.
  const spec = ['.', 'auth', 'index.js'].join('/');
  try {
    const mod = (await import(spec)) as { createHarborModule?: CreateHarbor };
    return mod.createHarborModule;
  } catch (e) {
    const missing = /Cannot find module '([^']+)'/.exec(String((e as Error).message))?.[1] ?? '';
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /auth\/index\.(js|ts)$/.test(missing)) {
      log.warn('harbor module absent: the registry runs without authentication');
      return undefined;
    }
    throw e;
  }
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * TLS 1.3 suites, AES-128-GCM first, and the server's order wins. OpenSSL's default picks
 * AES-256-GCM, which costs more CPU per byte of every pull for no gain a registry needs; Go's TLS
 * stack (the CNCF distribution registry, and skopeo/podman/containerd as clients) prefers
 * AES-128-GCM on hardware with AES instructions, which every x86-64 and arm64 server CPU has (on a
 * CPU without them ChaCha20 would be the cheaper choice). TLS 1.2 suites keep Node's default list
 * and order.
 */
const TLS_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  ...DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_'))].join(':');

/** Builds and starts a registry; resolves once it listens. */
export async function createRegistry(opts: RegistryOptions): Promise<Registry> {
  const log = opts.log ?? silentLogger;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const db = openRegistryDb(join(opts.dataDir, 'registry.db'));
  const now = opts.now ?? Date.now;
  const driver: BlobDriver = opts.driver === 'memory' ? new MemoryDriver()
    : opts.driver === undefined || opts.driver === 'filesystem' ? new FilesystemDriver(opts.dataDir)
    : opts.driver;
  const index = new ContentIndex(db, now);
  const uploads = new UploadManager({ driver, index, now, ttlMs: opts.uploadTtlMs, log });

  // Requests that arrive before Harbor's module is ready wait for it.
  const state: { api?: DistributionApi } = {};
  let ready!: () => void;
  const readyP = new Promise<void>((r) => { ready = r; });
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (state.api) return state.api.handle(req, res);
    void readyP.then(() => {
      if (state.api) state.api.handle(req, res);
      else res.writeHead(503).end('registry failed to start');
    });
  };
  const serverOpts = { keepAliveTimeout: 65_000, headersTimeout: 60_000, requestTimeout: 0, highWaterMark: 1 << 20 };
  const server: Server = opts.tls
    ? createHttpsServer({ ...serverOpts, cert: opts.tls.cert, key: opts.tls.key, ciphers: TLS_CIPHERS, honorCipherOrder: true }, listener)
    : createHttpServer(serverOpts, listener);
  // Idle sockets (slow clients, stalled uploads) are cut after two minutes without traffic.
  server.setTimeout(120_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${opts.tls ? 'https' : 'http'}://${hostForUrl(opts.host ?? '127.0.0.1')}:${port}`;

  let harbor: HarborModule | undefined;
  try {
    const create = opts.harbor === 'none' ? undefined : await loadHarbor(log);
    if (create) {
      if (opts.adminPassword === undefined) throw new Error('an admin password is required');
      harbor = await create({ db, dataDir: opts.dataDir, content: index, adminPassword: opts.adminPassword, baseUrl: opts.baseUrl ?? url, robotPrefix: opts.robotPrefix, log });
    }
  } catch (e) {
    ready();
    await new Promise<void>((r) => server.close(() => r()));
    db.close();
    throw e;
  }
  const consoleHandler = createConsoleHandler({ assetsDir: opts.consoleAssetsDir ?? defaultAssetsDir() });
  state.api = new DistributionApi({
    index, driver, uploads, log,
    access: harbor?.access ?? opts.access ?? allowAll,
    events: harbor?.events ?? opts.events ?? noEvents,
    // Harbor's module first (/service/token, /api/v2.0, /c/), then the web console at /.
    fallback: harbor ? async (req, res) => (await harbor!.handle(req, res)) || consoleHandler(req, res) : undefined,
  });
  ready();

  const purge = setInterval(() => {
    uploads.purgeExpired().catch((e: unknown) => log.warn({ err: e }, 'upload purge failed'));
  }, opts.purgeIntervalMs ?? 600_000);
  purge.unref();
  void uploads.purgeExpired().catch((e: unknown) => log.warn({ err: e }, 'upload purge failed'));

  log.info({ url }, 'registry listening');
  return {
    url, port, server, db, content: index, uploads, harbor: harbor !== undefined,
    async close() {
      clearInterval(purge);
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await harbor?.close();
      db.close();
    },
  };
}
