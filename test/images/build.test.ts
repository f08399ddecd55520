// The offline test-image builder: layouts are valid OCI, digests are stable across builds, the
// cache reuses a layout whose inputs did not change, and the images work when unpacked
// (busybox's shell, nginx's config test, pause's SIGTERM handling), run in a chroot.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestImages, type TestImages } from './build.js';
import { MEDIA_TYPES, normalizeEntries, seededRandomStream } from './layout.js';

describe('seeded random bytes', () => {
  const cases = [
    { name: 'same seed, same bytes', a: 'x', b: 'x', equal: true },
    { name: 'other seed, other bytes', a: 'x', b: 'y', equal: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const digest = async (seed: string) => {
        const h = createHash('sha256');
        for await (const chunk of seededRandomStream({ seed, size: 3 * 1024 * 1024 + 17 })) h.update(chunk as Buffer);
        return h.digest('hex');
      };
      assert.equal((await digest(c.a)) === (await digest(c.b)), c.equal);
    });
  }
});

describe('layer entries', () => {
  const cases = [
    { name: 'adds parent dirs and sorts by path', in: ['b/c', 'a'], out: ['a', 'b', 'b/c'] },
    { name: 'strips leading and trailing slashes', in: ['/etc/passwd'], out: ['etc', 'etc/passwd'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = normalizeEntries(c.in.map((path) => ({ type: 'file' as const, path, mode: 0o644, content: Buffer.from('') })));
      assert.deepEqual(got.map((e) => e.path), c.out);
    });
  }
  it('rejects path traversal', () => {
    assert.throws(() => normalizeEntries([{ type: 'directory', path: 'a/../../etc', mode: 0o755 }]), /bad layer path/);
  });
});

const rootSkip = process.getuid?.() === 0 ? false : 'running the images in a chroot needs root';

describe('built images', () => {
  let work: string;
  let first: TestImages;
  let second: TestImages;
  const names = ['busybox', 'nginx', 'pause'] as const;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-images-test-'));
    first = await buildTestImages(join(work, 'a'), names);
    second = await buildTestImages(join(work, 'b'), names);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const name of names) {
    it(`${name}: two builds give the same manifest digest`, () => {
      assert.equal(first[name]!.manifest.digest, second[name]!.manifest.digest);
    });
    it(`${name}: the layout is valid OCI and every blob matches its digest`, () => {
      const img = first[name]!;
      assert.deepEqual(JSON.parse(readFileSync(join(img.dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
      const index = JSON.parse(readFileSync(join(img.dir, 'index.json'), 'utf8'));
      assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], img.tag);
      assert.equal(index.manifests[0].mediaType, MEDIA_TYPES.manifest);
      for (const d of [img.manifest, img.config, ...img.layers]) {
        const bytes = readFileSync(join(img.dir, 'blobs', 'sha256', d.digest.slice(7)));
        assert.equal(bytes.length, d.size, `${d.digest} size`);
        assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, d.digest);
      }
    });
  }

  it('a second build into the same dir reuses the cached layout', async () => {
    const before = statSync(join(first.busybox!.dir, 'index.json')).mtimeMs;
    const again = await buildTestImages(join(work, 'a'), ['busybox']);
    assert.equal(again.busybox!.manifest.digest, first.busybox!.manifest.digest);
    assert.equal(statSync(join(first.busybox!.dir, 'index.json')).mtimeMs, before);
  });

  const unpack = (name: 'busybox' | 'nginx' | 'pause') => {
    const img = first[name]!;
    const root = join(work, `rootfs-${name}`);
    mkdirSync(root, { recursive: true });
    for (const l of img.layers) {
      const r = spawnSync('tar', ['-xzf', join(img.dir, 'blobs', 'sha256', l.digest.slice(7)), '-C', root]);
      assert.equal(r.status, 0, r.stderr.toString());
    }
    return root;
  };
  const config = (name: 'busybox' | 'nginx' | 'pause') => JSON.parse(readFileSync(join(first[name]!.dir, 'blobs', 'sha256', first[name]!.config.digest.slice(7)), 'utf8'));

  it('busybox: Cmd is ["sh"] and the shell runs its applets', { skip: rootSkip }, () => {
    assert.deepEqual(config('busybox').config.Cmd, ['sh']);
    const root = unpack('busybox');
    const r = spawnSync('chroot', [root, '/bin/sh', '-c', 'echo hi; ls /bin/wget /bin/sleep /bin/cat'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n/bin/cat\n/bin/sleep\n/bin/wget\n'); // busybox ls sorts its arguments
  });

  it('nginx: its libraries resolve and the configuration test passes', { skip: rootSkip }, () => {
    const root = unpack('nginx');
    const r = spawnSync('chroot', [root, '/usr/sbin/nginx', '-t'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /configuration file \/etc\/nginx\/nginx\.conf test is successful/);
  });

  it('pause: keeps running until SIGTERM, then exits 0', { skip: rootSkip }, async () => {
    const cfg = config('pause').config;
    const root = unpack('pause');
    const child = spawn('chroot', [root, ...cfg.Entrypoint], { stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // chroot execs the entrypoint in place; poll until that process sleeps (in pause(2)).
    const deadline = Date.now() + 5000;
    let running = false;
    while (Date.now() < deadline && !running) {
      try {
        const proc = `/proc/${child.pid}`;
        running = readFileSync(`${proc}/cmdline`, 'utf8').startsWith(cfg.Entrypoint[0]) && /^State:\s+S/m.test(readFileSync(`${proc}/status`, 'utf8'));
      } catch {
        running = false;
      }
      if (!running) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(running, 'pause did not start');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
