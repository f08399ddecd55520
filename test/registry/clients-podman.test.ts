// podman against `berth registry`: push and pull on a private project with a user's and a robot's
// credentials (auth files), and the refusals a user sees for anonymous pulls and pull-only robots.
//
// podman runs with its own storage (`--root`, `--runroot`, `--storage-driver vfs`, `--tmpdir`)
// and containers.conf under a temp dir. As root, containers/image would keep its blob-info cache
// in /var/lib/containers/cache; `_CONTAINERS_USERNS_CONFIGURED` + `_CONTAINERS_ROOTLESS_UID` (the
// state podman's own rootless re-exec sets, containers/storage pkg/unshare) move it under the
// sandbox's XDG_DATA_HOME without a user namespace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestImages, defaultImagesDir, type BuiltImage } from '../images/build.js';
import { createClientSandbox, run, type ClientSandbox, type RunResult } from '../images/push.js';
import { createPrivateProject, startBerthRegistry, type BerthRegistry, type PrivateProjectAuth } from '../helpers/registry.js';

const skip = spawnSync('podman', ['--version']).status === 0 ? false : 'podman is not installed (Debian package podman)';

interface Podman {
  run(args: string[]): Promise<RunResult>;
}

function podmanIn(sb: ClientSandbox): Podman {
  const root = join(sb.dir, 'storage');
  const runroot = join(sb.dir, 'runroot');
  const tmp = join(sb.dir, 'podman-tmp');
  const conf = join(sb.dir, 'containers.conf');
  const storage = join(sb.dir, 'storage.conf');
  writeFileSync(conf, [
    '[engine]',
    'events_logger = "none"',
    'cgroup_manager = "cgroupfs"',
    `tmp_dir = ${JSON.stringify(tmp)}`,
    `static_dir = ${JSON.stringify(join(sb.dir, 'static'))}`,
    `volume_path = ${JSON.stringify(join(sb.dir, 'volumes'))}`,
    '',
  ].join('\n'));
  writeFileSync(storage, `[storage]\ndriver = "vfs"\nrunroot = ${JSON.stringify(runroot)}\ngraphroot = ${JSON.stringify(root)}\n`);
  const env = { ...sb.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage, _CONTAINERS_USERNS_CONFIGURED: 'done' };
  return {
    run: (args) => run('podman', ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs', '--tmpdir', tmp, ...args], { env }),
  };
}

describe('podman against berth registry (private project)', { skip }, () => {
  let reg: BerthRegistry;
  let sb: ClientSandbox;
  let pod: Podman;
  let busybox: BuiltImage;
  let certDir: string;
  let layoutLink: string;
  let auth: PrivateProjectAuth;

  before(async () => {
    busybox = (await buildTestImages(defaultImagesDir(), ['busybox'])).busybox!;
    reg = await startBerthRegistry();
    sb = createClientSandbox('berth-podman-');
    pod = podmanIn(sb);
    certDir = sb.certDir(reg.caFile!);
    auth = await createPrivateProject(reg, sb);
    // The image enters podman's storage from the OCI layout, with no registry involved. podman
    // names it localhost/<layout path>, which must be a valid reference (lower case, no leading
    // dots): a link with a lower-case hex name stands in for the layout dir.
    layoutLink = join(tmpdir(), `berth-podman-layout-${randomBytes(6).toString('hex')}`);
    symlinkSync(busybox.dir, layoutLink);
    const loaded = await loadLayout();
    assert.equal(loaded.code, 0, `podman pull oci:${layoutLink}:${busybox.tag}: ${loaded.stderr}`);
  });

  after(async () => {
    if (pod) await pod.run(['system', 'reset', '--force']);
    await reg?.stop();
    sb?.remove();
    if (layoutLink) rmSync(layoutLink, { force: true });
  });

  const loadLayout = () => pod.run(['pull', '--signature-policy', sb.policyFile, `oci:${layoutLink}:${busybox.tag}`]);
  const imageId = () => busybox.config.digest.slice('sha256:'.length);
  const push = async (who: keyof typeof auth, repoTag: string) => {
    const ref = `${reg.host}/${repoTag}`;
    const tagged = await pod.run(['tag', imageId(), ref]);
    assert.equal(tagged.code, 0, tagged.stderr);
    return pod.run(['push', '--signature-policy', sb.policyFile, '--cert-dir', certDir, '--authfile', auth[who], ref]);
  };
  const pull = (who: keyof typeof auth | 'anonymous', repoTag: string) => {
    const creds = who === 'anonymous' ? [] : ['--authfile', auth[who]];
    return pod.run(['pull', '--signature-policy', sb.policyFile, '--cert-dir', certDir, ...creds, `${reg.host}/${repoTag}`]);
  };

  const cases: { name: string; pusher: 'admin' | 'dev' | 'pusher'; puller: 'admin' | 'dev' | 'puller'; repo: string }[] = [
    { name: 'the system admin pushes and pulls', pusher: 'admin', puller: 'admin', repo: 'priv/podman-admin' },
    { name: 'a Developer member pushes and pulls', pusher: 'dev', puller: 'dev', repo: 'priv/podman-user' },
    { name: 'a robot pushes and a pull-only robot pulls', pusher: 'pusher', puller: 'puller', repo: 'priv/podman-robot' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const pushed = await push(c.pusher, `${c.repo}:1`);
      assert.equal(pushed.code, 0, `push failed: ${pushed.stderr}`);
      // Drop the local copy so the pull has to fetch everything again.
      const rm = await pod.run(['rmi', '--all', '--force']);
      assert.equal(rm.code, 0, rm.stderr);
      const pulled = await pull(c.puller, `${c.repo}:1`);
      assert.equal(pulled.code, 0, `pull failed: ${pulled.stderr}`);
      // podman recompresses layers on push, so the manifest digest changes; the image ID (the
      // config digest) is what survives the round trip.
      assert.equal(pulled.stdout.trim(), imageId());
      const reloaded = await loadLayout();
      assert.equal(reloaded.code, 0, reloaded.stderr);
    });
  }

  it('anonymous pull of the private project fails with 401', async () => {
    assert.equal((await push('admin', 'priv/podman-anon:1')).code, 0);
    const r = await pull('anonymous', 'priv/podman-anon:1');
    assert.equal(r.code, 125);
    // As for skopeo (same containers/image): "Error: initializing source docker://HOST/priv/podman-anon:1:
    // reading manifest 1 in HOST/priv/podman-anon: errors:\ndenied: ...\nunauthorized: ...".
    assert.match(r.stderr, /^Error: initializing source docker:\/\/127\.0\.0\.1:\d+\/priv\/podman-anon:1: reading manifest 1 in 127\.0\.0\.1:\d+\/priv\/podman-anon: .*unauthorized/ims);
  });

  it('a pull-only robot cannot push', async () => {
    const r = await push('puller', 'priv/podman-denied:1');
    assert.equal(r.code, 125);
    assert.match(r.stderr, /(denied|unauthorized|authentication required)/i);
    const check = await reg.request('GET', '/v2/priv/podman-denied/manifests/1', { auth: { username: 'admin', password: reg.adminPassword }, headers: { accept: 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(check.status, 404);
  });
});
