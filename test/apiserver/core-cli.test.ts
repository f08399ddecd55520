// `berth server` as a user runs it: the files it writes, its output, a clean stop on SIGTERM,
// data surviving a restart on SQLite, and one-line failures for bad flags.
import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiClient, readKubeAuth } from '../helpers/berth-server.js';
import { unusedPort } from './core-fixtures.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Run {
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

function berth(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BERTH_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout!.on('data', (c) => { out += c; });
  child.stderr!.on('data', (c) => { out += c; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

async function waitFor<T>(f: () => Promise<T | undefined>, ms: number, what: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what()}`);
}

describe('berth server (CLI)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes kubeconfig, ca.crt and node-token, serves TLS, stops on SIGTERM, keeps data across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
    dirs.push(dir);
    const port = await unusedPort();
    const start = async () => {
      const run = berth(['server', '--data-dir', dir, '--listen', `127.0.0.1:${port}`]);
      children.push(run.child);
      await waitFor(async () => (run.out().includes('kubeconfig at') ? true : undefined), 90_000, () => run.out());
      return run;
    };
    let run = await start();
    assert.match(run.out(), new RegExp(`API server at https://127\\.0\\.0\\.1:${port}`));
    assert.ok(run.out().includes(`kubeconfig at ${join(dir, 'kubeconfig')}`));
    assert.equal((await stat(join(dir, 'kubeconfig'))).mode & 0o777, 0o600);
    const ca = await readFile(join(dir, 'tls', 'ca.crt'), 'utf8');
    const token = (await readFile(join(dir, 'node-token'), 'utf8')).trim();
    assert.match(token, new RegExp(`^K10${createHash('sha256').update(ca).digest('hex')}::server:[0-9a-f]{32}$`));
    assert.equal((await stat(join(dir, 'node-token'))).mode & 0o777, 0o600);
    const auth = await readKubeAuth(join(dir, 'kubeconfig'));
    assert.equal(auth.url, `https://127.0.0.1:${port}`);
    assert.equal(auth.ca, ca);
    let api = createApiClient(auth);
    const c = await api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'survivor' }, data: { a: '1' } } });
    assert.equal(c.status, 201);
    api.close();
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
    run = await start();
    api = createApiClient(await readKubeAuth(join(dir, 'kubeconfig')));
    const g = await api.request('GET', '/api/v1/namespaces/default/configmaps/survivor');
    assert.equal(g.status, 200);
    assert.deepEqual(g.json.data, { a: '1' });
    assert.equal(g.json.metadata.resourceVersion, c.json.metadata.resourceVersion);
    const after = await api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'later' } } });
    assert.ok(Number(after.json.metadata.resourceVersion) > Number(c.json.metadata.resourceVersion), 'resourceVersions never go backwards');
    api.close();
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0);
  });

  const bad = [
    { name: 'a malformed listen address', args: (d: string) => ['server', '--data-dir', d, '--listen', 'nowhere'], message: /^berth: invalid listen address "nowhere": expected HOST:PORT$/ },
    { name: 'a relative SQLite path', args: (d: string) => ['server', '--data-dir', d, '--listen', '127.0.0.1:0', '--datastore', 'sqlite://rel/x.db'], message: /^berth: cannot open datastore: invalid datastore URL "sqlite:\/\/rel\/x.db": the SQLite path must be absolute/ },
    { name: 'an unknown datastore scheme', args: (d: string) => ['server', '--data-dir', d, '--listen', '127.0.0.1:0', '--datastore', 'mysql://x'], message: /^berth: cannot open datastore: invalid datastore URL "mysql:\/\/x": unknown scheme/ },
  ];
  for (const c of bad) {
    it(`exits non-zero with one line for ${c.name}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
      dirs.push(dir);
      const run = berth(c.args(dir));
      children.push(run.child);
      const code = await run.exited;
      assert.notEqual(code, 0);
      const lines = run.out().trim().split('\n');
      assert.equal(lines.length, 1, run.out());
      assert.match(lines[0], c.message);
    });
  }

  it('exits non-zero with one line when the listen address is in use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
    dirs.push(dir);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const addr = blocker.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    try {
      const run = berth(['server', '--data-dir', dir, '--listen', `127.0.0.1:${port}`]);
      children.push(run.child);
      assert.notEqual(await run.exited, 0);
      const lines = run.out().trim().split('\n');
      assert.equal(lines.length, 1, run.out());
      assert.equal(lines[0], `berth: listen 127.0.0.1:${port}: address already in use`);
    } finally {
      blocker.close();
    }
  });
});
