// Pod volumes and container config against a real `berth server`: secret, configMap and projected
// volumes written with the right files, modes and `..data` links; the projected service account
// token comes from TokenRequest bound to the pod and is accepted by the API server as a bearer
// token; updates reach the files; a missing secret fails with upstream's FailedMount text; env
// from secrets and the `kubernetes` Service resolves, and a missing secret key is
// CreateContainerConfigError with upstream's message.
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createClient, loadKubeconfig, RESOURCES, type ApiObject, type Client } from '../../src/client/index.js';
import { silentLogger } from '../../src/common/log.js';
import { createPodConfigBuilder } from '../../src/kubelet/podconfig/index.js';
import { createVolumeManager, VolumeError, type VolumeManager } from '../../src/kubelet/volumes/index.js';
import { createApiClient, startBerthServer, type BerthServer } from '../helpers/berth-server.js';

const NS = 'default';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const mode = async (p: string) => (await stat(p)).mode & 0o7777;

describe('kubelet volumes against berth server', () => {
  let server: BerthServer;
  let client: Client;
  let root: string;
  let vm: VolumeManager;

  before(async () => {
    server = await startBerthServer();
    client = createClient(loadKubeconfig(server.kubeconfig));
    root = await mkdtemp(join(tmpdir(), 'berth-volumes-api-'));
    vm = createVolumeManager({ client, rootDir: root, log: silentLogger });
    await client.create(RESOURCES.secrets, NS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-creds', namespace: NS }, data: { username: b64('admin'), password: b64('s3cr3t') } });
    await client.create(RESOURCES.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: NS }, data: { 'app.properties': 'color=blue\n' } });
  });

  after(async () => {
    client?.close();
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function createPod(name: string, spec: Partial<NonNullable<Pod['spec']>>): Promise<Pod> {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec } };
    return (await client.create(RESOURCES.pods, NS, pod as ApiObject)) as unknown as Pod;
  }

  it('writes secret, configMap and the admission-added projected token volume', async () => {
    const pod = await createPod('vol-pod', {
      volumes: [
        { name: 'creds', secret: { secretName: 'db-creds', defaultMode: 0o400 } },
        { name: 'conf', configMap: { name: 'app-config', items: [{ key: 'app.properties', path: 'conf/app.properties', mode: 0o600 }] } },
      ],
    });
    const access = pod.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    assert.ok(access, 'the ServiceAccount admission added kube-api-access-*');
    const paths = await vm.setUp(pod);
    const uid = pod.metadata?.uid as string;
    const volumes = join(root, 'pods', uid, 'volumes');

    const creds = paths.get('creds') as string;
    assert.equal(creds, join(volumes, 'kubernetes.io~secret/creds'));
    assert.equal(await readFile(join(creds, 'password'), 'utf8'), 's3cr3t');
    assert.equal(await readFile(join(creds, 'username'), 'utf8'), 'admin');
    assert.equal(await mode(join(creds, 'password')), 0o400);
    assert.equal(await readlink(join(creds, 'password')), '..data/password');
    assert.match(await readlink(join(creds, '..data')), /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);

    const conf = paths.get('conf') as string;
    assert.equal(conf, join(volumes, 'kubernetes.io~configmap/conf'));
    assert.equal(await readFile(join(conf, 'conf/app.properties'), 'utf8'), 'color=blue\n');
    assert.equal(await mode(join(conf, 'conf/app.properties')), 0o600);
    assert.equal(await readlink(join(conf, 'conf')), '..data/conf');

    const sa = paths.get(access.name) as string;
    assert.equal(sa, join(volumes, 'kubernetes.io~projected', access.name));
    assert.equal(await readFile(join(sa, 'ca.crt'), 'utf8'), await readFile(join(server.dataDir, 'tls/ca.crt'), 'utf8'));
    assert.equal(await readFile(join(sa, 'namespace'), 'utf8'), NS);
    assert.equal(await mode(join(sa, 'token')), 0o644);
    assert.equal(await readlink(join(sa, 'token')), '..data/token');
    const token = await readFile(join(sa, 'token'), 'utf8');

    // The token is bound to the pod and lives as long as the projection asks (3607 s).
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    assert.equal(claims['kubernetes.io'].pod.uid, uid);
    assert.equal(claims['kubernetes.io'].pod.name, 'vol-pod');
    assert.equal(claims.exp - claims.iat, 3607);

    // The API server accepts it; a mangled one is refused.
    const auth = { url: server.url, ca: await readFile(join(server.dataDir, 'tls/ca.crt'), 'utf8') };
    const asPod = createApiClient({ ...auth, token });
    const bad = createApiClient({ ...auth, token: `${token.slice(0, -4)}AAAA` });
    try {
      const r = await asPod.request('GET', `/api/v1/namespaces/${NS}/pods`);
      assert.equal(r.status, 200, r.body);
      assert.ok(r.json.items.some((p: Pod) => p.metadata?.name === 'vol-pod'));
      assert.equal((await bad.request('GET', `/api/v1/namespaces/${NS}/pods`)).status, 401);
    } finally {
      asPod.close();
      bad.close();
    }

    // A second sync with nothing changed keeps the same data and token.
    const dataBefore = await readlink(join(creds, '..data'));
    await vm.setUp(pod);
    assert.equal(await readlink(join(creds, '..data')), dataBefore);
    assert.equal(await readFile(join(sa, 'token'), 'utf8'), token);

    // An updated Secret reaches the files through a new ..data dir.
    const cur = await client.get(RESOURCES.secrets, NS, 'db-creds');
    await client.update(RESOURCES.secrets, { ...cur, data: { username: b64('admin'), password: b64('rotated') } });
    await vm.setUp(pod);
    assert.equal(await readFile(join(creds, 'password'), 'utf8'), 'rotated');
    assert.notEqual(await readlink(join(creds, '..data')), dataBefore);

    await vm.tearDown(uid);
    await assert.rejects(lstat(join(root, 'pods', uid)), { code: 'ENOENT' });
  });

  it('fails a missing secret with the FailedMount text', async () => {
    const pod = await createPod('missing-secret', { volumes: [{ name: 'secret-volume', secret: { secretName: 'mysecret' } }] });
    await assert.rejects(vm.setUp(pod), (e: unknown) => {
      assert.ok(e instanceof VolumeError);
      assert.equal(e.message, 'MountVolume.SetUp failed for volume "secret-volume" : secret "mysecret" not found');
      return true;
    });
  });

  it('resolves env from the API and reports a missing key as CreateContainerConfigError', async () => {
    const builder = createPodConfigBuilder({ client, nodeName: 'node01', rootDir: root, clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', hostIP: '127.0.1.1', log: silentLogger, resolvConf: '' });
    const good = { name: 'app', image: 'busybox', env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'password' } } }] };
    const pod = await createPod('env-pod', { containers: [good] });
    const ok = await builder.containerConfig(pod, good, { attempt: 0, imageRef: 'busybox', podIP: '10.42.1.5', volumes: await vm.setUp(pod), isInit: false });
    assert.ok(ok.ok, ok.ok ? '' : ok.message);
    const env = new Map(ok.config.envs?.map((e) => [e.key, e.value]));
    assert.equal(env.get('DB_PASSWORD'), 'rotated');
    const kube = (await client.get(RESOURCES.services, 'default', 'kubernetes')) as ApiObject;
    assert.equal(env.get('KUBERNETES_SERVICE_HOST'), kube.spec.clusterIP);
    assert.equal(env.get('KUBERNETES_SERVICE_PORT'), String(kube.spec.ports[0].port));

    const bad = { name: 'app', image: 'busybox', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'token' } } }] };
    const r = await builder.containerConfig(pod, bad, { attempt: 0, imageRef: 'busybox', podIP: '10.42.1.5', volumes: new Map(), isInit: false });
    assert.deepEqual(r, { ok: false, reason: 'CreateContainerConfigError', message: "couldn't find key token in Secret default/db-creds" });
    const missing = { name: 'app', image: 'busybox', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'mysecret', key: 'password' } } }] };
    const r2 = await builder.containerConfig(pod, missing, { attempt: 0, imageRef: 'busybox', podIP: '10.42.1.5', volumes: new Map(), isInit: false });
    assert.deepEqual(r2, { ok: false, reason: 'CreateContainerConfigError', message: 'secret "mysecret" not found' });
  });
});
