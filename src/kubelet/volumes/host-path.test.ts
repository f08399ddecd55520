// hostPath type checks with upstream's messages (pkg/volume/hostpath/host_path.go).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkHostPath } from './host-path.js';

const root = mkdtempSync(join(tmpdir(), 'berth-hostpath-'));
writeFileSync(join(root, 'file'), 'x');
after(async () => { await rm(root, { recursive: true, force: true }); });

const cases: { name: string; path: () => string; type?: string; error?: string }[] = [
  { name: 'unset type checks nothing', path: () => join(root, 'absent') },
  { name: 'Directory ok', path: () => root, type: 'Directory' },
  { name: 'Directory on a file', path: () => join(root, 'file'), type: 'Directory', error: `hostPath type check failed: ${join(root, 'file')} is not a directory` },
  { name: 'Directory absent', path: () => join(root, 'nodir'), type: 'Directory', error: `hostPath type check failed: ${join(root, 'nodir')} is not a directory` },
  { name: 'File ok', path: () => join(root, 'file'), type: 'File' },
  { name: 'File on a directory', path: () => root, type: 'File', error: `hostPath type check failed: ${root} is not a file` },
  { name: 'DirectoryOrCreate on a file', path: () => join(root, 'file'), type: 'DirectoryOrCreate', error: `hostPath type check failed: ${join(root, 'file')} is not a directory` },
  { name: 'Socket', path: () => join(root, 'file'), type: 'Socket', error: `hostPath type check failed: ${join(root, 'file')} is not a socket file` },
  { name: 'CharDevice ok', path: () => '/dev/null', type: 'CharDevice' },
  { name: 'CharDevice on a file', path: () => join(root, 'file'), type: 'CharDevice', error: `hostPath type check failed: ${join(root, 'file')} is not a character device` },
  { name: 'BlockDevice on a file', path: () => join(root, 'file'), type: 'BlockDevice', error: `hostPath type check failed: ${join(root, 'file')} is not a block device` },
  { name: 'unknown type', path: () => root, type: 'Weird', error: 'Weird is an invalid volume type' },
  { name: 'backsteps', path: () => '/var/../etc', type: 'Directory', error: "invalid HostPath `/var/../etc`: must not contain '..'" },
];
for (const c of cases) {
  test(`checkHostPath: ${c.name}`, async () => {
    if (c.error) await assert.rejects(checkHostPath(c.path(), c.type), { message: c.error });
    else await checkHostPath(c.path(), c.type);
  });
}

test('checkHostPath: the *OrCreate types create a 0755 directory and a 0644 file', async () => {
  const d = join(root, 'made/deep');
  await checkHostPath(d, 'DirectoryOrCreate');
  const ds = await stat(d);
  assert.ok(ds.isDirectory());
  assert.equal(ds.mode & 0o777, 0o755 & ~process.umask());
  const f = join(root, 'made/file');
  await checkHostPath(f, 'FileOrCreate');
  const fs = await stat(f);
  assert.ok(fs.isFile());
  assert.equal(fs.size, 0);
});
