// Starting registries for tests and benchmarks: berth's own (`berth registry` as a child process)
// and the CNCF distribution registry (Debian's docker-registry) as the peer.
//
// Each registry gets a temp dir (data, config, an admin password file, a cert dir trusting its
// CA) that stop() removes. Processes are stopped by PID; a stop waits for the exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLeaf, loadOrCreateCA } from '../../src/common/ca.js';
import { poll, PollAbort } from './poll.js';

export { PollAbort };
import type { ClientSandbox } from '../images/push.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Credentials for the registry's API; 'anonymous' sends none. */
export type ApiAuth = { username: string; password: string } | 'anonymous';

/** An HTTP answer from the registry. */
export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the text. */
  body: any;
  text: string;
}

/** A running registry process. */
export interface RegistryProcess {
  /** `https://127.0.0.1:PORT` (or http:// with plain HTTP). */
  url: string;
  /** `127.0.0.1:PORT`: what image references start with. */
  host: string;
  /** The CA that signed the serving certificate; undefined on plain HTTP. */
  caFile?: string;
  /** A directory holding only `ca.crt`, for skopeo/podman `--cert-dir`; undefined on plain HTTP. */
  certDir?: string;
  plainHttp: boolean;
  /** The temp dir holding the data dir and config; removed by stop(). */
  dir: string;
  pid(): number | undefined;
  /** Output the process has written so far (stdout and stderr interleaved). */
  output(): string;
  /** Sends a request to the registry (JSON body when given), trusting its CA. */
  request(method: string, path: string, opts?: { body?: unknown; auth?: ApiAuth; headers?: Record<string, string> }): Promise<ApiResponse>;
  /** SIGTERM by PID, wait for exit, remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL by PID and wait for the exit; keeps the data dir (for restart()). */
  kill9(): Promise<void>;
  /** Starts the process again on the same data dir and port, after stop-less kill9() or a crash. */
  restart(): Promise<void>;
}

/** berth's registry: a RegistryProcess plus the admin account and Harbor's REST API. */
export interface BerthRegistry extends RegistryProcess {
  /** The data dir given to `berth registry --data-dir`. */
  dataDir: string;
  adminPassword: string;
  /** Calls Harbor's REST API at /api/v2.0 + path; auth defaults to admin. */
  api(method: string, path: string, body?: unknown, auth?: ApiAuth): Promise<ApiResponse>;
}

/** Finds a free loopback port by binding port 0 and closing it. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

/** Resolves once the child has exited. */
export function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => child.once('exit', () => res()));
}

/**
 * Polls `check` until it returns a value, or throws after `ms` with `what` and the last error;
 * a PollAbort from `check` ends the wait at once.
 */
export function pollUntil<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  return poll(what, check, ms);
}

function doRequest(base: URL, ca: string | undefined, method: string, path: string, opts: { body?: unknown; auth?: ApiAuth; headers?: Record<string, string> }): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let payload: Buffer | undefined;
  if (opts.body !== undefined) {
    payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(JSON.stringify(opts.body));
    if (!headers['content-type']) headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (opts.auth && opts.auth !== 'anonymous') {
    headers.authorization = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
  }
  const url = new URL(path, base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((res, rej) => {
    const req = send(url, { method, headers, ca, agent: false }, (resp) => {
      const chunks: Buffer[] = [];
      resp.on('data', (c: Buffer) => chunks.push(c));
      resp.on('error', rej);
      resp.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (/json/.test(String(resp.headers['content-type'] ?? '')) && text) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        res({ status: resp.statusCode ?? 0, headers: resp.headers, body, text });
      });
    });
    req.on('error', rej);
    req.end(payload);
  });
}

/** The line of a dead process's output that says why: the first that names an error, else the last. */
export function firstErrorLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(berth:|error|\w*Error\b|Error \[|fatal|panic)/i.test(l)) ?? lines[lines.length - 1] ?? '(no output)';
}

/** A child process with its output collected. */
export interface Spawned {
  child: ChildProcess;
  out: string[];
}

/** Spawns a child collecting stdout and stderr (bounded). */
export function spawnLogged(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }): Spawned {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const keep = (b: Buffer) => {
    out.push(b.toString('utf8'));
    // Bounded: a long benchmark must not grow the log without limit.
    if (out.length > 2000) out.splice(0, out.length - 1000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, out };
}

/** Kills a child that did not come up (SIGKILL by PID, then waits for the exit). */
export async function killFailedStart(p: Spawned): Promise<void> {
  if (p.child.pid && p.child.exitCode === null) {
    p.child.kill('SIGKILL');
    await waitExit(p.child);
  }
}

/** The process part of a RegistryProcess, shared by berth's registry and the distribution peer. */
export type ProcessControls = Pick<RegistryProcess, 'pid' | 'output' | 'kill9' | 'restart' | 'stop'>;

/**
 * pid/output/kill9/restart/stop for a registry child: `current()` is the child `launch()` spawned
 * last, and stop() removes `dir` once the child has exited.
 */
export function processControls(dir: string, current: () => Spawned | undefined, launch: () => Promise<void>): ProcessControls {
  let stopped = false;
  const running = (p: Spawned | undefined): p is Spawned => !!p && p.child.exitCode === null && p.child.signalCode === null;
  return {
    pid: () => current()?.child.pid,
    output: () => current()?.out.join('') ?? '',
    async kill9() {
      const p = current();
      if (p?.child.pid && running(p)) {
        process.kill(p.child.pid, 'SIGKILL');
        await waitExit(p.child);
      }
    },
    async restart() {
      if (stopped) throw new Error('registry was stopped; start a new one');
      const p = current();
      if (running(p)) {
        process.kill(p.child.pid!, 'SIGTERM');
        await waitExit(p.child);
      }
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const p = current();
      if (p?.child.pid && running(p)) {
        process.kill(p.child.pid, 'SIGTERM');
        const exited = waitExit(p.child);
        const timer = setTimeout(() => {
          const q = current();
          if (q?.child.pid && q.child.exitCode === null) process.kill(q.child.pid, 'SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Options for startBerthRegistry. */
export interface BerthRegistryOptions {
  plainHttp?: boolean;
  /** Admin password; random when absent. Passed in a file, never argv. */
  adminPassword?: string;
  /** Extra environment for the child (e.g. BERTH_LOG_LEVEL). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for "listening on"; default 30 s. */
  startTimeoutMs?: number;
  /** The CLI entry run with tsx, relative to the repo root; default `src/cli/main.ts`. */
  cliEntry?: string;
}

/**
 * Starts `berth registry --data-dir TMP/data --listen 127.0.0.1:0 --admin-password-file F`
 * from the repo root and waits for its `listening on https://127.0.0.1:PORT` line.
 */
export async function startBerthRegistry(opts: BerthRegistryOptions = {}): Promise<BerthRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const dataDir = join(dir, 'data');
  const adminPassword = opts.adminPassword ?? randomBytes(12).toString('base64url');
  const passwordFile = join(dir, 'admin-password');
  writeFileSync(passwordFile, adminPassword, { mode: 0o600 });
  const plainHttp = !!opts.plainHttp;
  let listen = '127.0.0.1:0';
  let proc: Spawned | undefined;
  let url = '';

  const launch = async (): Promise<void> => {
    const args = ['--import', 'tsx', opts.cliEntry ?? 'src/cli/main.ts', 'registry', '--data-dir', dataDir, '--listen', listen, '--admin-password-file', passwordFile];
    if (plainHttp) args.push('--plain-http');
    // NODE_TEST_CONTEXT (set by node --test) would make the child node act as a test subprocess.
    const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
    const p = spawnLogged(process.execPath, args, { cwd: REPO_ROOT, env: { ...env, ...opts.env } });
    proc = p;
    const found = await pollUntil('berth registry to print "listening on"', opts.startTimeoutMs ?? 30_000, async () => {
      const m = /listening on (https?):\/\/127\.0\.0\.1:(\d+)/.exec(p.out.join(''));
      if (m) return m;
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new PollAbort(`berth registry exited (${p.child.exitCode ?? p.child.signalCode}) before listening: ${firstErrorLine(p.out.join(''))}`);
      }
      return undefined;
    }).catch(async (e) => {
      await killFailedStart(p);
      throw e;
    });
    url = `${found[1]}://127.0.0.1:${found[2]}`;
    listen = `127.0.0.1:${found[2]}`;
  };

  try {
    await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const caFile = plainHttp ? undefined : join(dataDir, 'tls', 'ca.crt');
  let certDir: string | undefined;
  if (caFile) {
    certDir = join(dir, 'certs');
    mkdirSync(certDir);
    copyFileSync(caFile, join(certDir, 'ca.crt'));
  }
  const ca = () => (caFile && existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined);
  const controls = processControls(dir, () => proc, launch);

  const reg: BerthRegistry = {
    get url() {
      return url;
    },
    get host() {
      return listen;
    },
    caFile, certDir, plainHttp, dir, dataDir, adminPassword,
    request: (method, path, o = {}) => doRequest(new URL(url), ca(), method, path, o),
    api: (method, path, body, auth) => doRequest(new URL(url), ca(), method, `/api/v2.0${path}`, { body, auth: auth ?? { username: 'admin', password: adminPassword } }),
    ...controls,
  };
  return reg;
}

/** Options for startDistribution. */
export interface DistributionOptions {
  plainHttp?: boolean;
  /** Keep distribution's access log in output() (to count requests); default off. */
  accessLog?: boolean;
  binary?: string;
}

/** Debian's distribution registry binary, or undefined when the package is not installed. */
export function distributionBinary(): string | undefined {
  return ['/usr/bin/docker-registry'].find((p) => existsSync(p));
}

/**
 * Starts the CNCF distribution registry (`docker-registry serve CONFIG`) on a free loopback port,
 * with its own config, filesystem storage and, unless plain HTTP, a serving certificate from a
 * CA of its own (made with berth's CA module). No authentication: distribution's htpasswd mode
 * would bcrypt every request, and its token mode needs a separate token server.
 */
export async function startDistribution(opts: DistributionOptions = {}): Promise<RegistryProcess> {
  const bin = opts.binary ?? distributionBinary();
  if (!bin) throw new Error('docker-registry is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'berth-distribution-'));
  const plainHttp = !!opts.plainHttp;
  let caFile: string | undefined;
  let certDir: string | undefined;
  let tlsYaml = '';
  if (!plainHttp) {
    const tlsDir = join(dir, 'tls');
    const ca = await loadOrCreateCA(tlsDir, 'distribution-test-ca');
    const leaf = await ensureLeaf(ca, tlsDir, 'registry', { commonName: '127.0.0.1', hosts: ['127.0.0.1', 'localhost'], usage: 'server' });
    caFile = join(tlsDir, 'ca.crt');
    certDir = join(dir, 'certs');
    mkdirSync(certDir);
    copyFileSync(caFile, join(certDir, 'ca.crt'));
    tlsYaml = `  tls:\n    certificate: ${leaf.certPath}\n    key: ${leaf.keyPath}\n`;
  }
  const port = await freePort();
  const config = join(dir, 'config.yml');
  // distribution's configuration reference: docs/content/about/configuration.md (v2.8).
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    `    disabled: ${opts.accessLog ? 'false' : 'true'}`,
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    tlsYaml.trimEnd(),
    '',
  ].filter((l, i, a) => l !== '' || i === a.length - 1).join('\n'));

  const host = `127.0.0.1:${port}`;
  const url = `${plainHttp ? 'http' : 'https'}://${host}`;
  const ca = () => (caFile ? readFileSync(caFile, 'utf8') : undefined);
  let proc: Spawned | undefined;

  const launch = async () => {
    const p = spawnLogged(bin, ['serve', config], { env: { PATH: process.env.PATH, HOME: dir } });
    proc = p;
    await pollUntil('distribution to answer GET /v2/', 20_000, async () => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new PollAbort(`docker-registry exited: ${firstErrorLine(p.out.join(''))}`);
      const r = await doRequest(new URL(url), ca(), 'GET', '/v2/', {});
      return r.status === 200 ? true : undefined;
    }).catch(async (e) => {
      await killFailedStart(p);
      throw e;
    });
  };
  try {
    await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const controls = processControls(dir, () => proc, launch);

  return {
    url, host, caFile, certDir, plainHttp, dir,
    request: (method, path, o = {}) => doRequest(new URL(url), ca(), method, path, o),
    ...controls,
  };
}

/** A robot account as Harbor's POST /api/v2.0/robots returns it. */
export interface Robot {
  /** Full name, `robot$<project>+<name>` with Harbor's default prefix. */
  name: string;
  secret: string;
}

function expectStatus(what: string, r: ApiResponse, ok: number[]): void {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
}

/** Creates a project through Harbor's API (`metadata.public` is the string "true"/"false", as Harbor takes it). */
export async function createProject(reg: BerthRegistry, name: string, isPublic: boolean): Promise<void> {
  const r = await reg.api('POST', '/projects', { project_name: name, metadata: { public: String(isPublic) } });
  expectStatus(`create project ${name}`, r, [201]);
}

/**
 * Creates a project-level robot with repository permissions (Harbor's `Robot` create body:
 * level "project", one permission of kind "project" on the namespace, duration -1 = never expires).
 */
export async function createRobot(reg: BerthRegistry, project: string, name: string, actions: ('pull' | 'push' | 'delete')[]): Promise<Robot> {
  const r = await reg.api('POST', '/robots', {
    name, description: `test robot ${name}`, duration: -1, level: 'project', disable: false,
    permissions: [{ kind: 'project', namespace: project, access: actions.map((action) => ({ resource: 'repository', action })) }],
  });
  expectStatus(`create robot ${name}`, r, [201]);
  if (typeof r.body?.name !== 'string' || typeof r.body?.secret !== 'string') throw new Error(`create robot ${name}: no name/secret in ${r.text.slice(0, 200)}`);
  return { name: r.body.name, secret: r.body.secret };
}

/** Harbor's project roles (harbor src/common/const.go). */
export const ROLE = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;

/** Creates a user (POST /users) and makes it a member of `project` with `roleId` (POST /projects/{p}/members). */
export async function createMember(reg: BerthRegistry, project: string, username: string, password: string, roleId: number): Promise<void> {
  const u = await reg.api('POST', '/users', { username, password, email: `${username}@example.test`, realname: username });
  expectStatus(`create user ${username}`, u, [201]);
  const m = await reg.api('POST', `/projects/${encodeURIComponent(project)}/members`, { role_id: roleId, member_user: { username } });
  expectStatus(`add member ${username} to ${project}`, m, [201]);
}

/**
 * The repository's `pull_count` from GET /api/v2.0/projects/{p}/repositories/{r} (a repository
 * name holding '/' is URL-encoded twice, as Harbor's API requires).
 */
export async function pullCount(reg: BerthRegistry, project: string, repo: string): Promise<number> {
  const r = await reg.api('GET', `/projects/${encodeURIComponent(project)}/repositories/${encodeURIComponent(encodeURIComponent(repo))}`);
  expectStatus(`get repository ${project}/${repo}`, r, [200]);
  if (typeof r.body?.pull_count !== 'number') throw new Error(`repository ${project}/${repo}: no pull_count in ${r.text.slice(0, 200)}`);
  return r.body.pull_count;
}

/** Auth files (paths in a ClientSandbox) for the principals of createPrivateProject. */
export type PrivateProjectAuth = Record<'admin' | 'dev' | 'pusher' | 'puller', string>;

/**
 * The private project the client tests use: `priv` (not public) with a pull+push robot `pusher`,
 * a pull-only robot `puller` and a developer member `dev` (password `Dev-Passw0rd`). Returns an
 * auth file in `sb` for each of them and for admin.
 */
export async function createPrivateProject(reg: BerthRegistry, sb: ClientSandbox): Promise<PrivateProjectAuth> {
  await createProject(reg, 'priv', false);
  const pusher = await createRobot(reg, 'priv', 'pusher', ['pull', 'push']);
  const puller = await createRobot(reg, 'priv', 'puller', ['pull']);
  await createMember(reg, 'priv', 'dev', 'Dev-Passw0rd', ROLE.developer);
  return {
    admin: sb.authFile('admin', [{ host: reg.host, username: 'admin', password: reg.adminPassword }]),
    dev: sb.authFile('dev', [{ host: reg.host, username: 'dev', password: 'Dev-Passw0rd' }]),
    pusher: sb.authFile('pusher', [{ host: reg.host, username: pusher.name, password: pusher.secret }]),
    puller: sb.authFile('puller', [{ host: reg.host, username: puller.name, password: puller.secret }]),
  };
}
