// The client harness itself, against the CNCF distribution registry (Debian's docker-registry,
// the benchmark's peer): the helpers start and restart it, skopeo pushes and pulls the built
// layouts, a private containerd pulls through a hosts dir trusting its CA, and the request
// counts behind the pull_count figures in clients-containerd.test.ts are what these clients
// really send (read from distribution's access log, which logs every request).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestImages, defaultImagesDir, type BuiltImage } from '../images/build.js';
import { createClientSandbox, pushLayout, skopeo, tlsFlags, type ClientSandbox } from '../images/push.js';
import { containerdUnavailable, mountsUnder, startContainerd, type Containerd } from '../helpers/containerd.js';
import { distributionBinary, startDistribution, type RegistryProcess } from '../helpers/registry.js';

const skip = !distributionBinary()
  ? 'docker-registry is not installed (Debian package docker-registry)'
  : spawnSync('skopeo', ['--version']).status !== 0
    ? 'skopeo is not installed (Debian package skopeo)'
    : false;

/** Manifest requests for `repo` in distribution's access log, as "METHOD reference". */
function manifestRequests(reg: RegistryProcess, repo: string): string[] {
  const re = new RegExp(`"(GET|HEAD) /v2/${repo}/manifests/([^ ]+) HTTP/1\\.1" 200 `);
  return reg.output().split('\n').flatMap((l) => {
    const m = re.exec(l);
    return m ? [`${m[1]} ${m[2].startsWith('sha256:') ? 'digest' : m[2]}`] : [];
  });
}

describe('client harness against the distribution registry', { skip }, () => {
  let reg: RegistryProcess;
  let sb: ClientSandbox;
  let busybox: BuiltImage;

  before(async () => {
    busybox = (await buildTestImages(defaultImagesDir(), ['busybox'])).busybox!;
    reg = await startDistribution({ accessLog: true });
    sb = createClientSandbox();
  });
  after(async () => {
    await reg?.stop();
    sb?.remove();
  });

  const pull = (repoTag: string, dest: string) =>
    skopeo(sb, ['copy', '--retry-times', '0', ...tlsFlags(sb, { caFile: reg.caFile! }, 'src-'), '--src-no-creds', `docker://${reg.host}/${repoTag}`, `oci:${dest}:1`]);

  it('pushLayout then skopeo copy back gives the same manifest digest', async () => {
    await pushLayout(busybox.ociRef, `${reg.host}/lib/busybox:1`, { sandbox: sb, tls: { caFile: reg.caFile! } });
    const dest = join(sb.dir, 'back');
    const r = await pull('lib/busybox:1', dest);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(readFileSync(join(dest, 'index.json'), 'utf8')).manifests[0].digest, busybox.manifest.digest);
  });

  it('a push does no manifest GET; each skopeo copy from the registry does exactly one GET by tag', async () => {
    await pushLayout(busybox.ociRef, `${reg.host}/lib/counted:1`, { sandbox: sb, tls: { caFile: reg.caFile! } });
    assert.deepEqual(manifestRequests(reg, 'lib/counted'), []);
    for (let i = 0; i < 3; i++) assert.equal((await pull('lib/counted:1', join(sb.dir, `c${i}`))).code, 0);
    assert.deepEqual(manifestRequests(reg, 'lib/counted'), ['GET 1', 'GET 1', 'GET 1']);
  });

  it('kill9 then restart keeps the pushed image', async () => {
    const pid = reg.pid();
    await reg.kill9();
    await reg.restart();
    assert.notEqual(reg.pid(), pid);
    const r = await pull('lib/busybox:1', join(sb.dir, 'after-restart'));
    assert.equal(r.code, 0, r.stderr);
  });

  describe('containerd', { skip: containerdUnavailable() ?? false }, () => {
    let ctd: Containerd;
    before(async () => {
      ctd = await startContainerd();
      ctd.trustRegistry(reg.host, reg.caFile);
      await pushLayout(busybox.ociRef, `${reg.host}/lib/ctr:1`, { sandbox: sb, tls: { caFile: reg.caFile! } });
    });
    after(async () => {
      const dir = ctd?.dir;
      await ctd?.stop();
      if (dir) assert.deepEqual(mountsUnder(dir), []);
    });

    it('ctr pull: HEAD by tag + GET by digest, a cached re-pull is HEAD only, a pull after rm --sync GETs again', async () => {
      const ref = `${reg.host}/lib/ctr:1`;
      const pullCtr = () => ctd.ctr(['images', 'pull', '--hosts-dir', ctd.hostsDir, ref]);
      assert.equal((await pullCtr()).code, 0);
      assert.deepEqual(manifestRequests(reg, 'lib/ctr'), ['HEAD 1', 'GET digest']);
      assert.equal((await pullCtr()).code, 0);
      assert.deepEqual(manifestRequests(reg, 'lib/ctr'), ['HEAD 1', 'GET digest', 'HEAD 1']);
      assert.equal((await ctd.ctr(['images', 'rm', '--sync', ref])).code, 0);
      assert.equal((await pullCtr()).code, 0);
      assert.deepEqual(manifestRequests(reg, 'lib/ctr'), ['HEAD 1', 'GET digest', 'HEAD 1', 'HEAD 1', 'GET digest']);
    });

    it('the hosts dir is what makes HTTPS work: without it ctr speaks plain HTTP to loopback and fails', async () => {
      // containerd's default host config treats localhost/127.0.0.1 as plain HTTP (docker.MatchLocalhost);
      // Go's TLS server answers such a request with 400.
      const r = await ctd.ctr(['images', 'pull', `${reg.host}/lib/ctr:1`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /failed with status code \[manifests 1\]: 400 Bad Request/);
    });
  });
});
