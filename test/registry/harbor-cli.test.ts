// `berth registry project|robot|user|member ...` against a running registry: in process for the
// common operations, and through the real `berth` entry point for exit codes and error lines.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerRegistryAdmin } from '../../src/cli/registry-admin.js';
import { ensureLeaf, loadOrCreateCA } from '../../src/common/ca.js';
import { ADMIN_PASSWORD, admin, api, basic, startHarbor, type HarborTest } from './harbor-harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let t: HarborTest;
let tmp: string;

before(async () => {
  t = await startHarbor();
  tmp = mkdtempSync(join(tmpdir(), 'berth-cli-'));
});
after(async () => {
  await t.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `berth registry <args>` in process; returns its output lines or the error message. */
async function run(args: string[], env: NodeJS.ProcessEnv = { BERTH_REGISTRY_ADMIN_PASSWORD: ADMIN_PASSWORD }, url = t.url): Promise<{ out: string[]; error?: string }> {
  const out: string[] = [];
  const program = new Command('berth').exitOverride();
  const reg = program.command('registry');
  registerRegistryAdmin(reg, { out: (l) => out.push(...l.split('\n')), env });
  try {
    await program.parseAsync(['node', 'berth', 'registry', ...args, '--url', url]);
    return { out };
  } catch (e) {
    return { out, error: (e as Error).message };
  }
}

test('project create, list, delete', async () => {
  assert.deepEqual((await run(['project', 'create', 'clip', '--public'])).out, ['project clip created']);
  const list = await run(['project', 'list']);
  assert.match(list.out[0], /^NAME\s+PUBLIC\s+REPOSITORIES\s+OWNER$/);
  assert.ok(list.out.some((l) => /^clip\s+true\s+0\s+admin$/.test(l)), list.out.join('\n'));
  assert.deepEqual((await run(['project', 'delete', 'clip'])).out, ['project clip deleted']);
  const again = await run(['project', 'delete', 'clip']);
  assert.equal(again.error, 'registry API DELETE /api/v2.0/projects/clip: 404 NOT_FOUND: project clip not found');
});

test('user create and member add, with the password from a file or the environment', async () => {
  const pwFile = join(tmp, 'newpw');
  writeFileSync(pwFile, 'Cli-user-pass1\n');
  assert.deepEqual((await run(['user', 'create', 'cliuser', '--email', 'c@x.test', '--new-password-file', pwFile])).out, ['user cliuser created']);
  await run(['project', 'create', 'cliproj']);
  assert.deepEqual((await run(['member', 'add', 'cliproj', 'cliuser', '--role', 'maintainer'])).out, ['user cliuser added to cliproj as maintainer']);
  const members = await run(['member', 'list', 'cliproj']);
  assert.ok(members.out.some((l) => /^cliuser\s+maintainer$/.test(l)));
  // The new user acts with its own credentials from --password-file.
  const own = join(tmp, 'own');
  writeFileSync(own, 'Cli-user-pass1');
  assert.deepEqual((await run(['project', 'create', 'byuser', '--user', 'cliuser', '--password-file', own], {})).out, ['project byuser created']);
  const bad = await run(['member', 'add', 'cliproj', 'cliuser', '--role', 'boss']);
  assert.match(bad.error!, /^invalid --role "boss"/);
  const none = await run(['project', 'list'], {});
  assert.equal(none.error, 'no password: use --password-file FILE or set BERTH_REGISTRY_PASSWORD');
});

test('robot create prints the secret once; list and delete by name', async () => {
  await run(['project', 'create', 'robots']);
  const c = await run(['robot', 'create', 'ci', '--project', 'robots', '--permissions', 'pull,push', '--duration', '30']);
  assert.equal(c.error, undefined);
  assert.match(c.out[0], /^robot robot\$robots\+ci created \(id \d+\)$/);
  const secret = /^secret: ([A-Za-z0-9]{32})$/.exec(c.out[1])?.[1];
  assert.ok(secret, c.out.join('\n'));
  assert.equal((await fetch(`${t.url}/v2/`, { headers: { authorization: basic('robot$robots+ci', secret!) } })).status, 200);

  const file = join(tmp, 'secret');
  const f = await run(['robot', 'create', 'ci2', '--project', 'robots', '--secret-file', file]);
  assert.match(f.out[0], /secret written to /);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /^[A-Za-z0-9]{32}\n$/);
  assert.ok(!f.out.join('\n').includes(readFileSync(file, 'utf8').trim()));

  const list = await run(['robot', 'list', '--project', 'robots']);
  assert.ok(list.out.some((l) => /robot\$robots\+ci\s+project\s+false\s+\d{4}-/.test(l)), list.out.join('\n'));
  assert.ok(list.out.some((l) => /robot\$robots\+ci2\s+project\s+false\s+never/.test(l)));
  assert.deepEqual((await run(['robot', 'delete', 'robot$robots+ci'])).out, ['robot robot$robots+ci deleted']);
  assert.equal((await api(t, 'GET', '/robots?page_size=100', { auth: admin() })).body.filter((r: any) => r.name === 'robot$robots+ci').length, 0);
  assert.equal((await run(['robot', 'create', 'x', '--project', 'robots', '--system-projects', '*'])).error, 'give exactly one of --project or --system-projects');
});

test('HTTPS: --ca-file trusts the registry CA; without it the certificate is refused in one line', async () => {
  const tlsDir = join(tmp, 'tls');
  const ca = await loadOrCreateCA(tlsDir, 'test-registry-ca');
  const leaf = await ensureLeaf(ca, tlsDir, 'registry', { commonName: 'registry', hosts: ['127.0.0.1'], usage: 'server' });
  const secure = await startHarbor({ tls: { cert: leaf.certPem, key: leaf.keyPem } });
  try {
    assert.match(secure.url, /^https:/);
    const trusted = await run(['project', 'list', '--ca-file', join(tlsDir, 'ca.crt')], undefined, secure.url);
    assert.equal(trusted.error, undefined);
    assert.match(trusted.out[1], /^library\s+true\s+0\s+admin$/);
    const untrusted = await run(['project', 'list'], undefined, secure.url);
    assert.equal(untrusted.error, `cannot reach the registry at ${secure.url}: unable to verify the first certificate`);
  } finally {
    await secure.close();
  }
});

/** Runs the real `berth` entry point asynchronously (the registry under test lives in this process). */
function berth(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const main = join(ROOT, 'src', 'cli', 'main.ts');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += String(c); });
    child.stderr.on('data', (c) => { stderr += String(c); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (status) => { clearTimeout(timer); done({ status, stdout, stderr }); });
  });
}

test('the berth binary: exit code 1 and one line on errors, no password in argv needed', async () => {
  const wrong = { ...process.env, BERTH_REGISTRY_ADMIN_PASSWORD: 'wrong-password' };
  const r = await berth(['registry', 'project', 'list', '--url', t.url], wrong);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, 'berth: registry API GET /api/v2.0/projects: 401 UNAUTHORIZED: unauthorized\n');
  const ok = await berth(['registry', 'project', 'create', 'frombin', '--url', t.url], { ...process.env, BERTH_REGISTRY_ADMIN_PASSWORD: ADMIN_PASSWORD });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'project frombin created\n');
  const down = await berth(['registry', 'project', 'list', '--url', 'http://127.0.0.1:1'], wrong);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /^berth: cannot reach the registry at http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\n$/);
});
