// containerd's `ctr` against `berth registry`, with a private containerd (own config, root, state
// and socket under a temp dir) trusting berth's CA through a certs.d-style hosts dir; plus the
// repository pull_count Harbor would show after a known mix of skopeo and containerd pulls.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildTestImages, defaultImagesDir, type BuiltImage } from '../images/build.js';
import { createClientSandbox, pushLayout, skopeo, tlsFlags, type ClientSandbox } from '../images/push.js';
import { containerdUnavailable, startContainerd, type Containerd } from '../helpers/containerd.js';
import { createProject, createRobot, pollUntil, pullCount, startBerthRegistry, type BerthRegistry, type Robot } from '../helpers/registry.js';

const skip = containerdUnavailable() ?? (spawnSync('skopeo', ['--version']).status === 0 ? false : 'skopeo is not installed (Debian package skopeo)');

describe('containerd (ctr) against berth registry (private project)', { skip }, () => {
  let reg: BerthRegistry;
  let ctd: Containerd;
  let sb: ClientSandbox;
  let busybox: BuiltImage;
  let pause: BuiltImage;
  let puller: Robot;

  before(async () => {
    const images = await buildTestImages(defaultImagesDir(), ['busybox', 'pause']);
    busybox = images.busybox!;
    pause = images.pause!;
    reg = await startBerthRegistry();
    sb = createClientSandbox();
    ctd = await startContainerd();
    ctd.trustRegistry(reg.host, reg.caFile);
    await createProject(reg, 'priv', false);
    puller = await createRobot(reg, 'priv', 'puller', ['pull']);
    const admin = { username: 'admin', password: reg.adminPassword };
    for (const [repo, image] of [['busybox', busybox], ['robot', busybox], ['counted', pause]] as const) {
      await pushLayout(image.ociRef, `${reg.host}/priv/${repo}:1`, { sandbox: sb, tls: { caFile: reg.caFile! }, credentials: admin });
    }
  });

  after(async () => {
    await ctd?.stop();
    await reg?.stop();
    sb?.remove();
  });

  // ctr takes credentials only as `--user USER:PASSWORD` in argv (or prompts on a terminal);
  // the robot's `$` needs no quoting because no shell is involved.
  const ctrPull = (ref: string, user?: string) => ctd.ctr(['images', 'pull', '--hosts-dir', ctd.hostsDir, ...(user ? ['--user', user] : []), ref]);
  const imageDigest = async (ref: string) => {
    const r = await ctd.ctr(['images', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${ref} `));
    return line?.split(/\s+/)[2];
  };

  it('pulls with --user (the system admin) and the image runs', async () => {
    const ref = `${reg.host}/priv/busybox:1`;
    const r = await ctrPull(ref, `admin:${reg.adminPassword}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await imageDigest(ref), busybox.manifest.digest);
    const ran = await ctd.ctr(['run', '--rm', ...ctd.runFlags, ref, `berth-test-${process.pid}`, 'sh', '-c', 'echo hello from busybox']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'hello from busybox\n');
  });

  it('pulls with --user (a pull-only robot)', async () => {
    const ref = `${reg.host}/priv/robot:1`;
    const r = await ctrPull(ref, `${puller.name}:${puller.secret}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await imageDigest(ref), busybox.manifest.digest);
  });

  const refusals: { name: string; user?: () => string; message: RegExp }[] = [
    // No credentials: containerd gets an anonymous token, the HEAD answers 401 with
    // error="insufficient_scope", and containerd's resolver words it as below.
    { name: 'anonymous', message: /failed to resolve reference "127\.0\.0\.1:\d+\/priv\/busybox:1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope/ },
    // Bad credentials: the token request itself is refused with 401.
    { name: 'a wrong password', user: () => 'admin:not-the-password', message: /failed to resolve reference "127\.0\.0\.1:\d+\/priv\/busybox:1": .*401 Unauthorized/ },
  ];
  for (const c of refusals) {
    it(`${c.name} pull of the private project fails with 401`, async () => {
      const r = await ctrPull(`${reg.host}/priv/busybox:1`, c.user?.());
      assert.equal(r.code, 1);
      assert.match(r.stderr, c.message);
      const raw = await reg.request('HEAD', '/v2/priv/busybox/manifests/1', { auth: c.user ? { username: 'admin', password: 'not-the-password' } : 'anonymous' });
      assert.equal(raw.status, 401);
    });
  }

  it('pull_count equals what Harbor shows after 3 skopeo and 3 containerd pulls', async () => {
    const ref = `${reg.host}/priv/counted:1`;
    const start = await pullCount(reg, 'priv', 'counted');
    assert.equal(start, 0, 'pushing counts no pull');
    const authFile = sb.authFile('count', [{ host: reg.host, username: 'admin', password: reg.adminPassword }]);
    // skopeo copy docker://... does one manifest GET by tag per copy (containers/image
    // docker.dockerImageSource.GetManifest; seen against distribution's access log): +1 each.
    for (let i = 0; i < 3; i++) {
      const r = await skopeo(sb, ['copy', '--retry-times', '0', ...tlsFlags(sb, { caFile: reg.caFile! }, 'src-'), '--src-authfile', authFile, `docker://${ref}`, `oci:${join(sb.dir, `count-${i}`)}:1`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const user = `admin:${reg.adminPassword}`;
    // ctr resolves the tag with HEAD (not counted by Harbor) and GETs the manifest by digest only
    // when the content store lacks it: the first pull is +1, a second pull of the cached image is
    // HEAD-only and +0 (harbor#22020), and after `images rm --sync` (content garbage-collected)
    // the next pull GETs again, +1. containerd skips the GET for any manifest digest its content
    // store holds, whichever repository it came from (and, with the default "shared" content
    // policy, whichever namespace), so this repository holds the pause image, whose manifest no
    // other test pulls; busybox here would make even the first pull HEAD-only.
    assert.equal((await ctrPull(ref, user)).code, 0);
    assert.equal((await ctrPull(ref, user)).code, 0);
    assert.equal((await ctd.ctr(['images', 'rm', '--sync', ref])).code, 0);
    assert.equal((await ctrPull(ref, user)).code, 0);
    const expected = 3 + 2;
    // berth reflects a pull within 2 seconds (DESIGN.md); wait up to 5 s for it, then require the exact figure.
    const seen = await pollUntil(`pull_count to reach ${expected}`, 5_000, async () => {
      const n = await pullCount(reg, 'priv', 'counted');
      return n >= expected ? n : undefined;
    });
    assert.equal(seen, expected);
  });
});
