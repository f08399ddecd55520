// Starts `berth server` as a child process for end-to-end tests and benchmarks: a fresh mkdtemp
// data dir, a free loopback port, readiness through `/readyz` with the credentials of the
// kubeconfig the server writes, and stop/kill -9/restart by PID. Runs the TypeScript sources
// through tsx from the repository root, so no build is needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { etcdMissing, freePort, startEtcd } from './etcd.js';

/** The repository root (two levels above this file). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Connection details read from a kubeconfig (its current context). */
export interface KubeAuth {
  /** The API server URL, e.g. `https://127.0.0.1:41234`. */
  url: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecure?: boolean;
}

function b64(s: unknown): string | undefined {
  return typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : undefined;
}

/** Reads the current context's cluster and user of a kubeconfig file (inline data or file paths). */
export async function readKubeAuth(kubeconfigPath: string): Promise<KubeAuth> {
  const doc = parseYaml(await readFile(kubeconfigPath, 'utf8')) as Record<string, any>;
  const ctxName: string | undefined = doc['current-context'];
  const ctx = (doc.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? doc.contexts?.[0]?.context ?? {};
  const cluster = (doc.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster ?? doc.clusters?.[0]?.cluster ?? {};
  const user = (doc.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? doc.users?.[0]?.user ?? {};
  const file = async (p: unknown): Promise<string | undefined> => (typeof p === 'string' ? readFile(p, 'utf8') : undefined);
  return {
    url: String(cluster.server),
    ca: b64(cluster['certificate-authority-data']) ?? (await file(cluster['certificate-authority'])),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    cert: b64(user['client-certificate-data']) ?? (await file(user['client-certificate'])),
    key: b64(user['client-key-data']) ?? (await file(user['client-key'])),
    token: typeof user.token === 'string' ? user.token : (typeof user.tokenFile === 'string' ? (await readFile(user.tokenFile, 'utf8')).trim() : undefined),
  };
}

/** One HTTP answer from the API server. */
export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** Options for {@link ApiClient.request}. */
export interface RequestOptions {
  /** A string or Buffer is sent as is; anything else is sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** A minimal HTTP client that authenticates as the kubeconfig's user (keep-alive, loopback only). */
export interface ApiClient {
  readonly auth: KubeAuth;
  /** Sends one request and reads the whole answer. Rejects only on transport errors. */
  request(method: string, path: string, opts?: RequestOptions): Promise<ApiResponse>;
  /**
   * Opens a watch (or any streaming GET) and calls `onLine` for each newline-terminated line.
   * Resolves once the response headers arrived; `close()` ends the stream.
   */
  stream(path: string, onLine: (line: string) => void, headers?: Record<string, string>): Promise<{ status: number; close(): void; ended: Promise<void> }>;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

/** Builds an {@link ApiClient} from a kubeconfig's credentials. */
export function createApiClient(auth: KubeAuth, maxSockets = 16): ApiClient {
  const u = new URL(auth.url);
  const tls = u.protocol === 'https:';
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets, ca: auth.ca, cert: auth.cert, key: auth.key, rejectUnauthorized: !auth.insecure })
    : new HttpAgent({ keepAlive: true, maxSockets });
  const baseHeaders = (): Record<string, string> => (auth.token ? { authorization: `Bearer ${auth.token}` } : {});
  const send = tls ? httpsRequest : httpRequest;

  function open(method: string, path: string, opts: RequestOptions, onResponse: (res: import('node:http').IncomingMessage) => void, onError: (e: Error) => void): import('node:http').ClientRequest {
    let payload: Buffer | undefined;
    const headers: Record<string, string> = { accept: 'application/json', ...baseHeaders(), ...opts.headers };
    if (opts.body !== undefined) {
      payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const req = send({ hostname: u.hostname, port: u.port, method, path, headers, agent }, onResponse);
    req.on('error', onError);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`${method} ${path}: timed out after ${opts.timeoutMs} ms`)));
    req.end(payload);
    return req;
  }

  return {
    auth,
    request(method, path, opts = {}) {
      return new Promise((res, rej) => {
        open(method, path, opts, (resp) => {
          const chunks: Buffer[] = [];
          resp.on('data', (c: Buffer) => chunks.push(c));
          resp.on('error', rej);
          resp.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            let json: any;
            try { json = JSON.parse(body); } catch { json = undefined; }
            res({ status: resp.statusCode ?? 0, headers: resp.headers, body, json });
          });
        }, rej);
      });
    },
    stream(path, onLine, headers = {}) {
      return new Promise((res, rej) => {
        let ended!: () => void;
        const endedP = new Promise<void>((r) => { ended = r; });
        const req = open('GET', path, { headers }, (resp) => {
          let buf = '';
          resp.setEncoding('utf8');
          resp.on('data', (c: string) => {
            buf += c;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (line.trim()) onLine(line);
            }
          });
          resp.on('end', () => ended());
          resp.on('close', () => ended());
          resp.on('error', () => ended());
          res({ status: resp.statusCode ?? 0, close: () => req.destroy(), ended: endedP });
        }, (e) => { ended(); rej(e); });
      });
    },
    close() { agent.destroy(); },
  };
}

/** Options for {@link startBerthServer}. */
export interface BerthServerOptions {
  /** `--datastore` URL (`sqlite:///…` or `etcd://…`); omitted means the default SQLite file. */
  datastore?: string;
  /** How long to wait for `/readyz` (default 90 s: tsx compiles the sources on first start). */
  readyTimeoutMs?: number;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
}

/** A running `berth server` child process. */
export interface BerthServer {
  /** Path of `DATA_DIR/kubeconfig`, written by the server. */
  kubeconfig: string;
  /** The server's `--data-dir` (an mkdtemp dir removed by stop()). */
  dataDir: string;
  /** A home directory for clients (kubectl's discovery and HTTP caches live under it). */
  home: string;
  /** The API server URL from the kubeconfig. */
  url: string;
  /** PID of the current server process. */
  readonly pid: number;
  /** An authenticated HTTP client for raw API requests. */
  api: ApiClient;
  /** Everything the current process wrote to stderr and stdout so far (for failure messages). */
  output(): string;
  /** SIGTERM by PID, wait for exit, then remove the data and home dirs. */
  stop(): Promise<void>;
  /** SIGKILL by PID and wait for the exit; the data dir is kept for restart(). */
  kill9(): Promise<void>;
  /** Starts the server again on the same data dir, port and datastore; waits for readiness. */
  restart(): Promise<void>;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/**
 * Starts `berth server --data-dir <mkdtemp> --listen 127.0.0.1:<free port> [--datastore URL]`
 * and resolves once `/readyz` answers 200 with the kubeconfig's credentials. Rejects (after
 * stopping the child) with the server's output when it exits early or never becomes ready.
 */
export async function startBerthServer(opts: BerthServerOptions = {}): Promise<BerthServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-e2e-data-'));
  const home = await mkdtemp(join(tmpdir(), 'berth-e2e-home-'));
  const port = await freePort();
  const kubeconfig = join(dataDir, 'kubeconfig');
  const args = ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`];
  if (opts.datastore) args.push('--datastore', opts.datastore);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;

  let child!: ChildProcess;
  let out = '';
  let api: ApiClient | undefined;
  let url = '';

  const launch = async (): Promise<void> => {
    out = '';
    child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000); });
    child.stderr?.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000); });
    const deadline = Date.now() + readyTimeoutMs;
    let last = 'no kubeconfig yet';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`berth server exited (code ${child.exitCode}, signal ${child.signalCode}) before ready:\n${out}`);
      }
      try {
        if (!api) {
          const auth = await readKubeAuth(kubeconfig);
          // The server may still be writing the file: wait until it names the server and a credential.
          if (!/^https?:\/\//.test(auth.url) || (!auth.token && !auth.cert)) throw new Error('kubeconfig is not complete yet');
          api = createApiClient(auth);
          url = auth.url;
        }
        const r = await api.request('GET', '/readyz', { timeoutMs: 2000 });
        if (r.status === 200) return;
        last = `/readyz answered ${r.status}: ${r.body.slice(0, 200)}`;
      } catch (e) {
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`berth server not ready after ${readyTimeoutMs} ms (${last}):\n${out}`);
  };

  const cleanup = async (): Promise<void> => {
    api?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  };

  try {
    await launch();
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await waitExit(child); }
    await cleanup();
    throw e;
  }

  return {
    kubeconfig,
    dataDir,
    home,
    get url() { return url; },
    get pid() { return child.pid ?? -1; },
    get api() { return api as ApiClient; },
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = waitExit(child);
        process.kill(child.pid as number, 'SIGTERM');
        const timer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGKILL'); }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      await cleanup();
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = waitExit(child);
        process.kill(child.pid as number, 'SIGKILL');
        await exited;
      }
      api?.close();
      if (api) api = createApiClient(api.auth);
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) throw new Error('restart(): the server is still running; stop it with kill9() first');
      try {
        await launch();
      } catch (e) {
        if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await waitExit(child); }
        throw e;
      }
    },
  };
}

/** What a datastore needs running before `berth server` starts, and the `--datastore` URL to pass. */
export interface DatastoreRun {
  /** `--datastore` value; undefined for the default (SQLite under the data dir). */
  url?: string;
  /** etcd client endpoints (`http://127.0.0.1:PORT`) when the datastore is etcd. */
  endpoints?: string[];
  stop(): Promise<void>;
}

/** One datastore the API tests run against. */
export interface DatastoreUnderTest {
  name: 'sqlite' | 'etcd';
  /** Why this datastore cannot run here (a missing prerequisite), or undefined. */
  missing(): string | undefined;
  start(): Promise<DatastoreRun>;
}

/**
 * The datastores every API end-to-end suite loops over (issue 2: "the same API tests pass on the
 * SQLite and the etcd datastore"): SQLite is berth's default; etcd is Debian's etcd on loopback.
 */
export const DATASTORES: DatastoreUnderTest[] = [
  { name: 'sqlite', missing: () => undefined, start: async () => ({ stop: async () => undefined }) },
  {
    name: 'etcd',
    missing: etcdMissing,
    start: async () => {
      const etcd = await startEtcd();
      return { url: etcd.url, endpoints: etcd.endpoints, stop: () => etcd.stop() };
    },
  },
];
