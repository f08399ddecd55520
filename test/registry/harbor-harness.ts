// In-process registry with Harbor's module for the harbor-* and attacks-auth tests: the real
// distribution server (createRegistry, plain HTTP on an ephemeral loopback port, mkdtemp data
// dir) with Harbor's module mounted in front of it. The module is created here rather than by
// createRegistry so that a test can inject a clock (token and robot expiry) and capture logs.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessController, RegistryEvents } from '../../src/registry/access.js';
import { createRegistry, type Registry } from '../../src/registry/index.js';
import { createHarborModule, type HarborModuleHandle } from '../../src/registry/auth/index.js';
import { createLogger } from '../../src/common/log.js';
import { makeImage, sha256, type TestImage } from './distribution-harness.js';

export const ADMIN_PASSWORD = 'Adm1n-Secret-Pass';

/** A running registry with Harbor's model, plus helpers speaking HTTP to it. */
export interface HarborTest {
  url: string;
  dir: string;
  reg: Registry;
  harbor: HarborModuleHandle;
  /** Everything the module logged (JSON lines), for the no-credentials-in-logs checks. */
  logs(): string;
  /** Moves the injected clock. */
  setNow(d: Date): void;
  close(): Promise<void>;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Starts the registry; `now` is the module's initial clock (real time when absent). */
export async function startHarbor(opts: { now?: Date; robotPrefix?: string; tls?: { cert: string; key: string } } = {}): Promise<HarborTest> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-harbor-test-'));
  let now = opts.now;
  // Filled in once the module exists; the registry needs access/events before that.
  const mod: { h?: HarborModuleHandle } = {};
  const access: AccessController = { authorize: (req, s) => mod.h!.access.authorize(req, s) };
  const events: RegistryEvents = {
    manifestPulled: (e) => mod.h!.events.manifestPulled(e),
    manifestPushed: (e) => mod.h!.events.manifestPushed(e),
    manifestDeleted: (e) => mod.h!.events.manifestDeleted(e),
  };
  const reg = await createRegistry({ dataDir: dir, harbor: 'none', host: '127.0.0.1', port: 0, access, events, tls: opts.tls });
  let logText = '';
  const sink = new Writable({ write(chunk, _enc, cb) { logText += String(chunk); cb(); } });
  const harbor = await createHarborModule({
    db: reg.db, dataDir: dir, content: reg.content, adminPassword: ADMIN_PASSWORD, baseUrl: reg.url,
    robotPrefix: opts.robotPrefix, now: () => now ?? new Date(), log: createLogger({ level: 'debug', destination: sink }),
  });
  mod.h = harbor;
  const [orig] = reg.server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  reg.server.removeAllListeners('request');
  reg.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    harbor.handle(req, res).then((mine) => { if (!mine) orig(req, res); }, () => res.destroy());
  });
  return {
    url: reg.url, dir, reg, harbor,
    logs: () => logText,
    setNow: (d) => { now = d; },
    async close() {
      await reg.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Calls the REST API; JSON in and out. */
export async function api(t: HarborTest, method: string, path: string, opts: { auth?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const r = await fetch(`${t.url}/api/v2.0${path}`, {
    method,
    headers: { ...(opts.auth ? { authorization: opts.auth } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await r.text();
  let body: any = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON: keep the text */ }
  return { status: r.status, headers: r.headers, body };
}

export const admin = (): string => basic('admin', ADMIN_PASSWORD);

/** Creates a user (as admin) and returns its Basic header. */
export async function createUser(t: HarborTest, username: string, password = 'Passw0rd-x'): Promise<string> {
  const r = await api(t, 'POST', '/users', { auth: admin(), body: { username, password, email: `${username}@example.test`, realname: username } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return basic(username, password);
}

/** Creates a project (as admin unless `auth` is given). */
export async function createProject(t: HarborTest, name: string, isPublic: boolean, auth = admin()): Promise<number> {
  const r = await api(t, 'POST', '/projects', { auth, body: { project_name: name, metadata: { public: String(isPublic) } } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return Number(r.headers.get('location')!.split('/').pop());
}

/** Adds a user to a project with a role id. */
export async function addMember(t: HarborTest, project: string, username: string, roleId: number): Promise<void> {
  const r = await api(t, 'POST', `/projects/${project}/members`, { auth: admin(), body: { role_id: roleId, member_user: { username } } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/** Creates a robot; returns its full name, secret and id. */
export async function createRobot(t: HarborTest, body: Record<string, unknown>, auth = admin()): Promise<{ name: string; secret: string; id: number }> {
  const r = await api(t, 'POST', '/robots', { auth, body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { name: r.body.name, secret: r.body.secret, id: r.body.id };
}

/** A project robot body with the given repository actions. */
export function projectRobot(name: string, project: string, actions: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, level: 'project', duration: -1, description: 'test robot',
    permissions: [{ kind: 'project', namespace: project, access: actions.map((action) => ({ resource: 'repository', action })) }],
    ...extra,
  };
}

async function upload(url: string, repo: string, bytes: Buffer, auth: string): Promise<void> {
  const post = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: auth } });
  assert.equal(post.status, 202, `POST upload: ${post.status} ${await post.text()}`);
  const loc = new URL(post.headers.get('location')!, url).toString();
  const put = await fetch(`${loc}${loc.includes('?') ? '&' : '?'}digest=${sha256(bytes)}`, {
    method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream', authorization: auth },
  });
  assert.equal(put.status, 201, `PUT upload: ${await put.text()}`);
}

/** Pushes a small image to repo:tag with the given Authorization header; returns it. */
export async function pushImageAs(t: HarborTest, repo: string, tag: string, auth: string, seed = `${repo}:${tag}`): Promise<TestImage> {
  const img = makeImage(seed);
  await upload(t.url, repo, img.config, auth);
  for (const l of img.layers) await upload(t.url, repo, l, auth);
  const r = await fetch(`${t.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: img.manifest, headers: { 'content-type': img.mediaType, authorization: auth } });
  assert.equal(r.status, 201, `PUT manifest: ${await r.text()}`);
  return img;
}

/** Fetches a token from /service/token with GET (Basic or anonymous). */
export async function getToken(t: HarborTest, scopes: string[], auth?: string): Promise<{ status: number; body: any }> {
  const q = new URLSearchParams({ service: 'harbor-registry' });
  for (const s of scopes) q.append('scope', s);
  const r = await fetch(`${t.url}/service/token?${q}`, { headers: auth ? { authorization: auth } : {} });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** The `access` claim of a token (decoded without verification: the test only reads it). */
export function accessOf(token: string): Array<{ type: string; name: string; actions: string[] }> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).access;
}
