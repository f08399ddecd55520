// skopeo (containers/image) against `berth registry`: copy to and from the registry, inspect and
// delete, with a user's and with robots' credentials, on a private project over HTTPS trusting
// berth's CA. Credentials go through auth files, never argv.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestImages, defaultImagesDir, type BuiltImage } from '../images/build.js';
import { createClientSandbox, pushLayout, skopeo, tlsFlags, type ClientSandbox } from '../images/push.js';
import { createPrivateProject, startBerthRegistry, type BerthRegistry, type PrivateProjectAuth } from '../helpers/registry.js';

const skip = spawnSync('skopeo', ['--version']).status === 0 ? false : 'skopeo is not installed (Debian package skopeo)';

describe('skopeo against berth registry (private project)', { skip }, () => {
  let reg: BerthRegistry;
  let sb: ClientSandbox;
  let busybox: BuiltImage;
  let auth: PrivateProjectAuth;

  before(async () => {
    busybox = (await buildTestImages(defaultImagesDir(), ['busybox'])).busybox!;
    reg = await startBerthRegistry();
    sb = createClientSandbox();
    auth = await createPrivateProject(reg, sb);
  });

  after(async () => {
    await reg?.stop();
    sb?.remove();
  });

  const tls = () => ({ caFile: reg.caFile! });
  const push = (who: keyof typeof auth, repoTag: string) =>
    skopeo(sb, ['copy', '--retry-times', '0', ...tlsFlags(sb, tls(), 'dest-'), '--dest-authfile', auth[who], busybox.ociRef, `docker://${reg.host}/${repoTag}`]);
  const pull = (who: keyof typeof auth | 'anonymous', repoTag: string, dest: string) =>
    skopeo(sb, ['copy', '--retry-times', '0', ...tlsFlags(sb, tls(), 'src-'), ...(who === 'anonymous' ? ['--src-no-creds'] : ['--src-authfile', auth[who]]), `docker://${reg.host}/${repoTag}`, `oci:${dest}:pulled`]);
  const inspect = (who: keyof typeof auth, repoTag: string) =>
    skopeo(sb, ['inspect', '--retry-times', '0', ...tlsFlags(sb, tls(), ''), '--authfile', auth[who], `docker://${reg.host}/${repoTag}`]);
  const del = (who: keyof typeof auth, repoTag: string) =>
    skopeo(sb, ['delete', '--retry-times', '0', ...tlsFlags(sb, tls(), ''), '--authfile', auth[who], `docker://${reg.host}/${repoTag}`]);
  const layoutDigest = (dir: string) => JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0].digest as string;

  const writers: { name: string; who: 'admin' | 'dev' | 'pusher'; repo: string }[] = [
    { name: 'the system admin', who: 'admin', repo: 'priv/busybox' },
    { name: 'a user who is a Developer member', who: 'dev', repo: 'priv/by-user' },
    { name: 'a robot with pull and push', who: 'pusher', repo: 'priv/by-robot' },
  ];
  for (const c of writers) {
    it(`${c.name}: copy to, inspect, copy from (same manifest digest both ways)`, async () => {
      const pushed = await push(c.who, `${c.repo}:1`);
      assert.equal(pushed.code, 0, `push failed: ${pushed.stderr}`);
      const info = await inspect(c.who, `${c.repo}:1`);
      assert.equal(info.code, 0, `inspect failed: ${info.stderr}`);
      const parsed = JSON.parse(info.stdout);
      assert.equal(parsed.Digest, busybox.manifest.digest);
      assert.deepEqual(parsed.Layers, busybox.layers.map((l) => l.digest));
      const dest = join(sb.dir, `pull-${c.who}`);
      const pulled = await pull(c.who, `${c.repo}:1`, dest);
      assert.equal(pulled.code, 0, `pull failed: ${pulled.stderr}`);
      assert.equal(layoutDigest(dest), busybox.manifest.digest);
    });
  }

  it('anonymous pull of the private project fails with 401', async () => {
    const r = await pull('anonymous', 'priv/busybox:1', join(sb.dir, 'anon'));
    assert.equal(r.code, 1);
    // containers/image turns the 401 on the manifest (after an anonymous token, so with
    // error="insufficient_scope") into "initializing source docker://HOST/priv/busybox:1: reading
    // manifest 1 in HOST/priv/busybox: errors: denied: requested access to the resource is denied
    // unauthorized: <the registry's message>".
    assert.match(r.stderr, /initializing source docker:\/\/127\.0\.0\.1:\d+\/priv\/busybox:1: reading manifest 1 in 127\.0\.0\.1:\d+\/priv\/busybox: .*unauthorized/is);
    const raw = await reg.request('GET', '/v2/priv/busybox/manifests/1', { auth: 'anonymous' });
    assert.equal(raw.status, 401);
    assert.match(String(raw.headers['www-authenticate']), /^Bearer realm="https:\/\/127\.0\.0\.1:\d+\/service\/token"/);
  });

  it('a pull-only robot can pull', async () => {
    const dest = join(sb.dir, 'pull-puller');
    const r = await pull('puller', 'priv/busybox:1', dest);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(layoutDigest(dest), busybox.manifest.digest);
  });

  it('a pull-only robot cannot push, and nothing is committed', async () => {
    const r = await push('puller', 'priv/busybox:by-puller');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /(denied|unauthorized|authentication required)/i);
    const after = await inspect('admin', 'priv/busybox:by-puller');
    assert.equal(after.code, 1);
    assert.match(after.stderr, /manifest unknown/i);
  });

  it('a pull-only robot cannot delete, and the tag stays', async () => {
    assert.equal((await push('admin', 'priv/keep:1')).code, 0);
    const r = await del('puller', 'priv/keep:1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /(denied|unauthorized|authentication required)/i);
    const still = await inspect('admin', 'priv/keep:1');
    assert.equal(still.code, 0, still.stderr);
  });

  it('delete removes the manifest: inspect then reports manifest unknown', async () => {
    assert.equal((await push('admin', 'priv/deleteme:1')).code, 0);
    const r = await del('admin', 'priv/deleteme:1');
    assert.equal(r.code, 0, r.stderr);
    const gone = await inspect('admin', 'priv/deleteme:1');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /manifest unknown/i);
  });

  it('pushLayout pushes with credentials written to an auth file', async () => {
    await pushLayout(busybox.ociRef, `${reg.host}/priv/helper:1`, { sandbox: sb, tls: tls(), credentials: { username: 'admin', password: reg.adminPassword } });
    const info = await inspect('admin', 'priv/helper:1');
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).Digest, busybox.manifest.digest);
  });
});
