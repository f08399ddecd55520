// The volume manager against a fake API: files, modes, ..data layout, FailedMount texts, token
// refresh across setUp calls, tearDown.
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { silentLogger } from '../../common/log.js';
import { createFakeClient, type FakeRequest } from '../podconfig/fake-client.js';
import { createVolumeManager, VolumeError, type VolumeManager } from './index.js';

let root: string;
let now = Date.parse('2026-01-01T00:00:00Z');
let issued = 0;
const client = createFakeClient((req: FakeRequest) => {
  issued++;
  const body = req.body as { spec: { expirationSeconds: number } };
  return { spec: body.spec, status: { token: `token-${issued}`, expirationTimestamp: new Date(now + body.spec.expirationSeconds * 1000).toISOString() } };
});
let vm: VolumeManager;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-volumes-'));
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  client.put('secrets', { metadata: { name: 'creds', namespace: 'team' }, data: { username: b64('admin'), password: b64('s3cr3t') } });
  client.put('configmaps', { metadata: { name: 'app-config', namespace: 'team' }, data: { 'app.properties': 'color=blue\n' }, binaryData: { 'logo.bin': Buffer.from([0, 1, 2, 255]).toString('base64') } });
  client.put('configmaps', { metadata: { name: 'kube-root-ca.crt', namespace: 'team' }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\n' } });
  vm = createVolumeManager({ client, rootDir: root, log: silentLogger, now: () => new Date(now), nodeAllocatable: { cpuMilli: 2000n, memoryBytes: 1024n ** 3n, ephemeralStorageBytes: 0n } });
});
after(async () => { await rm(root, { recursive: true, force: true }); });

function pod(uid: string, volumes: Volume[]): Pod {
  return {
    metadata: { name: 'web', namespace: 'team', uid, labels: { app: 'web' } },
    spec: { serviceAccountName: 'default', containers: [{ name: 'app', image: 'nginx', resources: { limits: { memory: '64Mi' } } }], volumes },
  };
}

const mode = async (p: string) => (await stat(p)).mode & 0o7777;

test('setUp: emptyDir, secret with items and modes, configMap with binaryData, hostPath', async () => {
  const p = pod('uid-a', [
    { name: 'scratch', emptyDir: {} },
    { name: 'mem', emptyDir: { medium: 'Memory' } },
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o440, items: [{ key: 'password', path: 'db/password', mode: 0o400 }, { key: 'username', path: 'user' }] } },
    { name: 'conf', configMap: { name: 'app-config' } },
    { name: 'host', hostPath: { path: root, type: 'Directory' } },
  ]);
  const paths = await vm.setUp(p);
  const base = join(root, 'pods/uid-a/volumes');
  assert.deepEqual(Object.fromEntries(paths), {
    scratch: join(base, 'kubernetes.io~empty-dir/scratch'),
    mem: join(base, 'kubernetes.io~empty-dir/mem'),
    creds: join(base, 'kubernetes.io~secret/creds'),
    conf: join(base, 'kubernetes.io~configmap/conf'),
    host: root,
  });
  assert.equal(await mode(paths.get('scratch') as string), 0o777);
  const creds = paths.get('creds') as string;
  assert.equal(await mode(creds), 0o1777, 'the mode of the tmpfs root upstream mounts');
  assert.equal(await mode(paths.get('conf') as string), 0o777);
  assert.equal(await readFile(join(creds, 'db/password'), 'utf8'), 's3cr3t');
  assert.equal(await mode(join(creds, 'db/password')), 0o400);
  assert.equal(await readFile(join(creds, 'user'), 'utf8'), 'admin');
  assert.equal(await mode(join(creds, 'user')), 0o440);
  assert.equal(await readlink(join(creds, 'db')), '..data/db');
  assert.match(await readlink(join(creds, '..data')), /^\.\.2026_01_01_00_00_00\./);
  const conf = paths.get('conf') as string;
  assert.equal(await readFile(join(conf, 'app.properties'), 'utf8'), 'color=blue\n');
  assert.deepEqual([...await readFile(join(conf, 'logo.bin'))], [0, 1, 2, 255]);
  assert.equal(await mode(join(conf, 'app.properties')), 0o644);
});

test('setUp: projected service account token, kube-root-ca.crt and namespace; refresh after 80 % of the lifetime', async () => {
  const p = pod('uid-b', [{
    name: 'kube-api-access-x1y2z',
    projected: { defaultMode: 420, sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ] },
  }]);
  const before = issued;
  const dir = (await vm.setUp(p)).get('kube-api-access-x1y2z') as string;
  assert.equal(dir, join(root, 'pods/uid-b/volumes/kubernetes.io~projected/kube-api-access-x1y2z'));
  const first = await readFile(join(dir, 'token'), 'utf8');
  assert.equal(first, `token-${before + 1}`);
  assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), '-----BEGIN CERTIFICATE-----\n');
  assert.equal(await readFile(join(dir, 'namespace'), 'utf8'), 'team');
  assert.equal(await mode(join(dir, 'token')), 0o644);
  const tr = client.requests.at(-1);
  assert.deepEqual(tr?.body, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-b' } } });
  const data1 = await readlink(join(dir, '..data'));

  now += 2000 * 1000;
  await vm.setUp(p);
  assert.equal(issued, before + 1, 'a token at 55 % of its lifetime is reused');
  assert.equal(await readlink(join(dir, '..data')), data1, 'nothing changed, nothing rewritten');

  now += 1000 * 1000;
  await vm.setUp(p);
  assert.equal(issued, before + 2, 'past 80 % the token is requested again');
  assert.equal(await readFile(join(dir, 'token'), 'utf8'), `token-${before + 2}`);
  assert.notEqual(await readlink(join(dir, '..data')), data1);
});

test('setUp: downwardAPI volume with labels and a resource limit', async () => {
  const p = pod('uid-c', [{ name: 'info', downwardAPI: { items: [
    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
    { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
    { path: 'cpu', mode: 0o600, resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
  ] } }]);
  const dir = (await vm.setUp(p)).get('info') as string;
  assert.equal(await readFile(join(dir, 'labels'), 'utf8'), 'app="web"');
  assert.equal(await readFile(join(dir, 'mem'), 'utf8'), '64');
  assert.equal(await readFile(join(dir, 'cpu'), 'utf8'), '2000');
  assert.equal(await mode(join(dir, 'cpu')), 0o600);
});

test('setUp: optional missing secret and configMap give empty volumes', async () => {
  const paths = await vm.setUp(pod('uid-d', [
    { name: 's', secret: { secretName: 'nope', optional: true } },
    { name: 'c', configMap: { name: 'nope', optional: true, items: [{ key: 'k', path: 'k' }] } },
  ]));
  const s = paths.get('s') as string;
  await lstat(join(s, '..data'));
  await assert.rejects(lstat(join(paths.get('c') as string, 'k')), { code: 'ENOENT' });
});

const failCases: { name: string; volumes: Volume[]; messages: string[] }[] = [
  { name: 'missing secret', volumes: [{ name: 'secret-volume', secret: { secretName: 'mysecret' } }], messages: ['MountVolume.SetUp failed for volume "secret-volume" : secret "mysecret" not found'] },
  { name: 'missing configmap', volumes: [{ name: 'config-volume', configMap: { name: 'x' } }], messages: ['MountVolume.SetUp failed for volume "config-volume" : configmap "x" not found'] },
  { name: 'missing secret key', volumes: [{ name: 'v', secret: { secretName: 'creds', items: [{ key: 'token', path: 't' }] } }], messages: ['MountVolume.SetUp failed for volume "v" : references non-existent secret key: token'] },
  { name: 'missing configmap key', volumes: [{ name: 'config-volume', configMap: { name: 'app-config', items: [{ key: 'missing-key', path: 'm' }] } }], messages: ['MountVolume.SetUp failed for volume "config-volume" : configmap references non-existent config key: missing-key'] },
  { name: 'hostPath type', volumes: [{ name: 'h', hostPath: { path: '/dev/null', type: 'Directory' } }], messages: ['MountVolume.SetUp failed for volume "h" : hostPath type check failed: /dev/null is not a directory'] },
  {
    name: 'projected errors aggregated; every failed volume reported',
    volumes: [
      { name: 'p', projected: { sources: [{ secret: { name: 'a' } }, { configMap: { name: 'b' } }] } },
      { name: 'q', secret: { secretName: 'c' } },
    ],
    messages: ['MountVolume.SetUp failed for volume "p" : [secret "a" not found, configmap "b" not found]', 'MountVolume.SetUp failed for volume "q" : secret "c" not found'],
  },
  { name: 'unsupported plugin', volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }], messages: ['MountVolume.SetUp failed for volume "n" : volume type nfs is not supported by berth'] },
];
for (const c of failCases) {
  test(`setUp: VolumeError: ${c.name}`, async () => {
    await assert.rejects(vm.setUp(pod('uid-fail', c.volumes)), (e: unknown) => {
      assert.ok(e instanceof VolumeError);
      assert.equal(e.message, c.messages[0]);
      assert.deepEqual(e.failures.map((f) => f.message), c.messages);
      return true;
    });
  });
}

test('tearDown: removes the pod directory', async () => {
  await vm.setUp(pod('uid-e', [{ name: 'scratch', emptyDir: {} }]));
  await vm.tearDown('uid-e');
  await assert.rejects(lstat(join(root, 'pods/uid-e')), { code: 'ENOENT' });
  await assert.rejects(vm.tearDown('../x'), /invalid pod uid/);
});

test('setUp: fsGroup owns the files; read-only volumes get group read, the token 0640, emptyDir group rw + setgid', async () => {
  const p = pod('uid-g', [
    { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
    { name: 'scratch', emptyDir: {} },
    { name: 'sa', projected: { defaultMode: 0o644, sources: [{ serviceAccountToken: { path: 'token' } }] } },
  ]);
  p.spec = { ...p.spec, containers: p.spec?.containers ?? [], securityContext: { fsGroup: 4321 } };
  const paths = await vm.setUp(p);
  const pw = join(paths.get('creds') as string, 'password');
  assert.equal((await stat(pw)).gid, 4321);
  assert.equal(await mode(pw), 0o440);
  const token = join(paths.get('sa') as string, 'token');
  assert.equal(await mode(token), 0o640);
  assert.equal((await stat(token)).gid, 4321);
  const scratch = paths.get('scratch') as string;
  assert.equal((await stat(scratch)).gid, 4321);
  assert.equal(await mode(scratch), 0o2777);
  const data = await readlink(join(paths.get('creds') as string, '..data'));
  await vm.setUp(p);
  assert.equal(await readlink(join(paths.get('creds') as string, '..data')), data, 'ownership changes do not cause rewrites');
});
