import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isLoopback, parseListen, resolveAdminPassword } from './registry.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

test('parseListen accepts HOST:PORT and [IPv6]:PORT, refuses the rest with one line', () => {
  const ok = [
    { name: 'ipv4', v: '127.0.0.1:5000', want: { host: '127.0.0.1', port: 5000 } },
    { name: 'port 0', v: '127.0.0.1:0', want: { host: '127.0.0.1', port: 0 } },
    { name: 'hostname', v: 'localhost:443', want: { host: 'localhost', port: 443 } },
    { name: 'ipv6', v: '[::1]:5000', want: { host: '::1', port: 5000 } },
  ];
  for (const c of ok) assert.deepEqual(parseListen(c.v), c.want, c.name);
  for (const bad of ['5000', '127.0.0.1', '127.0.0.1:70000', '::1:5000', 'host:port']) {
    assert.throws(() => parseListen(bad), /invalid --listen/, bad);
  }
});

test('isLoopback: 127.0.0.0/8, ::1 and localhost only', () => {
  const cases = [
    { host: '127.0.0.1', want: true }, { host: '127.1.2.3', want: true }, { host: '::1', want: true }, { host: 'localhost', want: true },
    { host: '0.0.0.0', want: false }, { host: '10.0.0.1', want: false }, { host: '::', want: false }, { host: 'example.com', want: false },
  ];
  for (const c of cases) assert.equal(isLoopback(c.host), c.want, c.host);
});

test('admin password: file, then environment, then generated once into DIR/admin-password (0600)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-reg-'));
  try {
    const file = join(dir, 'pw');
    writeFileSync(file, 'from-file\n');
    assert.deepEqual(resolveAdminPassword(dir, file, { BERTH_REGISTRY_ADMIN_PASSWORD: 'from-env' }), { password: 'from-file', source: file });
    assert.equal(resolveAdminPassword(dir, undefined, { BERTH_REGISTRY_ADMIN_PASSWORD: 'from-env' }).password, 'from-env');
    const gen = resolveAdminPassword(dir, undefined, {});
    assert.ok(gen.password.length >= 20);
    assert.equal(readFileSync(join(dir, 'admin-password'), 'utf8'), `${gen.password}\n`);
    assert.equal(statSync(join(dir, 'admin-password')).mode & 0o777, 0o600);
    assert.equal(resolveAdminPassword(dir, undefined, {}).password, gen.password);
    writeFileSync(file, '');
    assert.throws(() => resolveAdminPassword(dir, file, {}), /empty/);
    assert.throws(() => resolveAdminPassword(dir, join(dir, 'missing'), {}), /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('berth registry --plain-http on a non-loopback address exits 1 with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-reg-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'registry', '--data-dir', dir, '--listen', '0.0.0.0:0', '--plain-http'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'berth: --plain-http is allowed only on a loopback address, not 0.0.0.0\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
