// The AtomicWriter layout and update rules (upstream atomic_writer_test.go, in small).
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validatePayloadPath, writeAtomically, type FileProjection } from './atomic-writer.js';

let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), 'berth-atomic-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

const f = (s: string, mode = 0o644): FileProjection => ({ data: Buffer.from(s), mode });
const T0 = new Date('2026-11-26T02:03:04Z');

test('writeAtomically: timestamped dir, ..data link, first-element links, modes', async () => {
  const dir = join(root, 'v1');
  const wrote = await writeAtomically(dir, new Map([['user', f('admin')], ['password', f('pw', 0o400)], ['nested/deep/file', f('x')]]), T0);
  assert.equal(wrote, true);
  const data = await readlink(join(dir, '..data'));
  assert.match(data, /^\.\.2026_11_26_02_03_04\.\d+$/);
  assert.equal((await stat(join(dir, data))).mode & 0o7777, 0o755);
  assert.equal(await readlink(join(dir, 'user')), '..data/user');
  assert.equal(await readlink(join(dir, 'nested')), '..data/nested');
  assert.equal(await readFile(join(dir, 'user'), 'utf8'), 'admin');
  assert.equal(await readFile(join(dir, 'nested/deep/file'), 'utf8'), 'x');
  assert.equal((await stat(join(dir, 'password'))).mode & 0o7777, 0o400);
  assert.deepEqual((await readdir(dir)).sort(), ['..data', data, 'nested', 'password', 'user'].sort());
});

test('writeAtomically: unchanged payload writes nothing; a change swings ..data and drops stale files', async () => {
  const dir = join(root, 'v2');
  await writeAtomically(dir, new Map([['a', f('1')], ['b', f('2')]]), T0);
  const first = await readlink(join(dir, '..data'));
  assert.equal(await writeAtomically(dir, new Map([['a', f('1')], ['b', f('2')]]), T0), false);
  assert.equal(await readlink(join(dir, '..data')), first);

  assert.equal(await writeAtomically(dir, new Map([['a', f('changed')]]), new Date('2026-11-26T03:00:00Z')), true);
  const second = await readlink(join(dir, '..data'));
  assert.notEqual(second, first);
  assert.match(second, /^\.\.2026_11_26_03_00_00\./);
  assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'changed');
  await assert.rejects(lstat(join(dir, 'b')), { code: 'ENOENT' });
  await assert.rejects(lstat(join(dir, first)), { code: 'ENOENT' });
  assert.deepEqual((await readdir(dir)).sort(), ['..data', second, 'a'].sort());
});

test('writeAtomically: an empty payload leaves only ..data and its dir', async () => {
  const dir = join(root, 'v3');
  await writeAtomically(dir, new Map(), T0);
  const data = await readlink(join(dir, '..data'));
  assert.deepEqual((await readdir(dir)).sort(), ['..data', data].sort());
});

const badPaths = [
  { name: 'absolute', path: '/etc/passwd', message: 'invalid path: must not be absolute path: /etc/passwd' },
  { name: 'backstep', path: 'a/../../b', message: "invalid path: must not contain '..': a/../../b" },
  { name: 'leading dots', path: '..data', message: "invalid path: must not start with '..': ..data" },
  { name: 'too long', path: 'a'.repeat(4097), message: 'invalid path: must be less than or equal to 4096 characters' },
];
for (const c of badPaths) {
  test(`validatePayloadPath: ${c.name}`, async () => {
    assert.throws(() => validatePayloadPath(c.path), { message: c.message });
    await assert.rejects(writeAtomically(join(root, 'bad'), new Map([[c.path, f('x')]])), { message: c.message });
  });
}
