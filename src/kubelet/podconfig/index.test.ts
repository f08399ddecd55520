// The pod config builder: sandbox and container configs as the runtime receives them, files it
// writes (etc-hosts, termination-log), and CreateContainerConfigError outcomes.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { silentLogger } from '../../common/log.js';
import { createFakeClient } from './fake-client.js';
import { containerHash, createPodConfigBuilder, type PodConfigBuilder } from './index.js';

let root: string;
let builder: PodConfigBuilder;
let resolv: string;
const client = createFakeClient();

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-podconfig-'));
  resolv = join(root, 'resolv.conf');
  await writeFile(resolv, 'nameserver 192.0.2.1\nsearch corp.example\n');
  client.put('secrets', { metadata: { name: 'db', namespace: 'team' }, data: { password: Buffer.from('pw').toString('base64') } });
  client.put('services', { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } });
  client.put('services', { metadata: { name: 'web', namespace: 'team' }, spec: { clusterIP: '10.43.9.9', ports: [{ port: 80, protocol: 'TCP' }] } });
  builder = createPodConfigBuilder({
    client, nodeName: 'node01', rootDir: root, clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', hostIP: '127.0.1.1',
    log: silentLogger, resolvConf: resolv, memoryCapacity: 8 * 1024 ** 3,
  });
});
after(async () => { await rm(root, { recursive: true, force: true }); });

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, containers: Container[] = [{ name: 'app', image: 'nginx' }]): Pod {
  return {
    metadata: { name: 'web-1', namespace: 'team', uid: 'uid-123', labels: { app: 'web' }, annotations: { 'example.com/a': 'b' } },
    spec: { containers, terminationGracePeriodSeconds: 30, enableServiceLinks: true, serviceAccountName: 'default', ...spec },
  };
}

test('sandboxConfig: metadata, labels, annotations, hostname, log dir, DNS, ports, namespaces', async () => {
  const p = pod({ securityContext: { runAsUser: 1000, fsGroup: 2000, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] } }, [
    { name: 'app', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }, { containerPort: 9090, protocol: 'TCP' }] },
  ]);
  const cfg = builder.sandboxConfig(p, 2);
  assert.deepEqual(cfg.metadata, { name: 'web-1', namespace: 'team', uid: 'uid-123', attempt: 2 });
  assert.deepEqual(cfg.labels, { app: 'web', 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.pod.namespace': 'team', 'io.kubernetes.pod.uid': 'uid-123' });
  assert.deepEqual(cfg.annotations, { 'example.com/a': 'b' });
  assert.equal(cfg.hostname, 'web-1');
  assert.equal(cfg.logDirectory, join(root, 'logs/pods/team_web-1_uid-123'));
  assert.ok((await stat(cfg.logDirectory as string)).isDirectory());
  assert.deepEqual(cfg.dnsConfig, { servers: ['10.43.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'], options: ['ndots:5'] });
  assert.deepEqual(cfg.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080 }, { protocol: 'TCP', containerPort: 9090, hostPort: 0 }]);
  assert.deepEqual(cfg.linux?.securityContext, { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, privileged: false, runAsUser: 1000, supplementalGroups: [2000] });
  assert.deepEqual(cfg.linux?.sysctls, { 'net.ipv4.ip_unprivileged_port_start': '0' });
  assert.equal(cfg.linux?.cgroupParent, undefined);
});

test('sandboxConfig: host network has no hostname, NODE namespaces and the host DNS', () => {
  const cfg = builder.sandboxConfig(pod({ hostNetwork: true, hostPID: true, hostIPC: true, hostname: 'ignored' }), 0);
  assert.equal(cfg.hostname, undefined);
  assert.deepEqual(cfg.linux?.securityContext?.namespaceOptions, { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
  assert.deepEqual(cfg.dnsConfig, { servers: ['192.0.2.1'], searches: ['corp.example'], options: [] });
});

test('containerConfig: command/args expansion, env, mounts, files, resources, labels and annotations', async () => {
  const volDir = join(root, 'vols/data');
  const secretDir = join(root, 'vols/secret');
  await mkdir(join(volDir, 'sub'), { recursive: true });
  await mkdir(secretDir, { recursive: true });
  const c: Container = {
    name: 'app', image: 'nginx', command: ['sh', '-c'], args: ['echo $(GREETING) $$(GREETING) $(MISSING)'], workingDir: '/srv',
    env: [{ name: 'GREETING', value: 'hi' }, { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
    volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'data', mountPath: '/sub', subPath: 'sub', readOnly: true },
      { name: 'data', mountPath: '/made', subPath: 'made/here' },
      { name: 'creds', mountPath: '/creds' },
    ],
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
    securityContext: { runAsUser: 1001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
    terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', tty: true, stdin: true,
    ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
  };
  const p = pod({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'creds', secret: { secretName: 'db' } }], securityContext: { runAsGroup: 3000 } }, [c]);
  const r = await builder.containerConfig(p, c, { attempt: 3, imageRef: 'sha256:abc', podIP: '10.42.1.9', volumes: new Map([['data', volDir], ['creds', secretDir]]), isInit: false });
  assert.ok(r.ok, r.ok ? '' : r.message);
  const cfg = r.config;
  assert.deepEqual(cfg.metadata, { name: 'app', attempt: 3 });
  assert.equal(cfg.image, 'sha256:abc');
  assert.deepEqual(cfg.command, ['sh', '-c']);
  assert.deepEqual(cfg.args, ['echo hi $(GREETING) $(MISSING)']);
  assert.equal(cfg.workingDir, '/srv');
  assert.equal(cfg.logPath, 'app/3.log');
  assert.ok((await stat(join(root, 'logs/pods/team_web-1_uid-123/app'))).isDirectory());
  assert.deepEqual(cfg.labels, { 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.pod.namespace': 'team', 'io.kubernetes.pod.uid': 'uid-123', 'io.kubernetes.container.name': 'app' });
  assert.deepEqual(cfg.annotations, {
    'io.kubernetes.container.hash': containerHash(c),
    'io.kubernetes.container.restartCount': '3',
    'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
    'io.kubernetes.container.terminationMessagePolicy': 'File',
    'io.kubernetes.pod.terminationGracePeriod': '30',
    'io.kubernetes.container.ports': '[{"name":"http","containerPort":80,"protocol":"TCP"}]',
  });
  const env = new Map(cfg.envs?.map((e) => [e.key, e.value]));
  assert.equal(env.get('GREETING'), 'hi');
  assert.equal(env.get('PW'), 'pw');
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal(env.get('WEB_SERVICE_HOST'), '10.43.9.9');
  assert.deepEqual(cfg.envs?.slice(0, 2), [{ key: 'GREETING', value: 'hi' }, { key: 'PW', value: 'pw' }]);

  const mounts = cfg.mounts ?? [];
  assert.deepEqual(mounts.slice(0, 4), [
    { containerPath: '/data', hostPath: volDir, readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/sub', hostPath: join(volDir, 'sub'), readonly: true, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/made', hostPath: join(volDir, 'made/here'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/creds', hostPath: secretDir, readonly: true, propagation: 'PROPAGATION_PRIVATE' },
  ]);
  const hosts = mounts[4];
  assert.deepEqual(hosts, { containerPath: '/etc/hosts', hostPath: join(root, 'pods/uid-123/etc-hosts'), readonly: false });
  assert.equal(await readFile(hosts.hostPath, 'utf8'), '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.42.1.9\tweb-1\n');
  assert.equal((await stat(hosts.hostPath)).mode & 0o777, 0o644);
  const term = mounts[5];
  assert.equal(term.containerPath, '/dev/termination-log');
  assert.match(term.hostPath, new RegExp(`^${join(root, 'pods/uid-123/containers/app')}/[0-9a-f]{8}$`));
  assert.equal((await stat(term.hostPath)).mode & 0o777, 0o666);
  assert.equal(mounts.length, 6);

  assert.deepEqual(cfg.linux?.resources, { cpuShares: 102, cpuPeriod: 100000, cpuQuota: 20000, memoryLimitInBytes: 128 * 1024 * 1024, oomScoreAdj: 1000 - Math.trunc((1000 * 64 * 1024 * 1024) / (8 * 1024 ** 3)) });
  assert.deepEqual(cfg.linux?.securityContext, {
    privileged: false, namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, readonlyRootfs: true, noNewPrivs: true,
    runAsUser: 1001, runAsGroup: 3000, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
  });
  assert.equal(cfg.tty, true);
  assert.equal(cfg.stdin, true);
  assert.equal(cfg.stdinOnce, false);
});

test('containerConfig: no /etc/hosts before the pod has an IP, nor when the container mounts its own', async () => {
  const c: Container = { name: 'app', image: 'nginx' };
  const r1 = await builder.containerConfig(pod({}, [c]), c, { attempt: 0, imageRef: 'x', podIP: '', volumes: new Map(), isInit: false });
  assert.ok(r1.ok);
  assert.equal(r1.config.mounts?.some((m) => m.containerPath === '/etc/hosts'), false);
  const own: Container = { name: 'app', image: 'nginx', volumeMounts: [{ name: 'h', mountPath: '/etc/hosts' }] };
  const r2 = await builder.containerConfig(pod({ volumes: [{ name: 'h', emptyDir: {} }] }, [own]), own, { attempt: 0, imageRef: 'x', podIP: '10.42.1.2', volumes: new Map([['h', root]]), isInit: true });
  assert.ok(r2.ok);
  assert.deepEqual(r2.config.mounts?.filter((m) => m.containerPath === '/etc/hosts').map((m) => m.hostPath), [root]);
});

test('containerConfig: host-network pods get the node hosts file under the host-network header', async () => {
  const hostsFile = join(root, 'node-hosts');
  await writeFile(hostsFile, '127.0.0.1 localhost\n192.0.2.7 node01\n');
  const b = createPodConfigBuilder({ client, nodeName: 'node01', rootDir: root, clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', hostIP: '127.0.1.1', log: silentLogger, resolvConf: resolv, hostsFile });
  const c: Container = { name: 'app', image: 'nginx' };
  const r = await b.containerConfig(pod({ hostNetwork: true, hostAliases: [{ ip: '10.1.2.3', hostnames: ['db'] }] }, [c]), c, { attempt: 0, imageRef: 'x', podIP: '', volumes: new Map(), isInit: false });
  assert.ok(r.ok);
  const m = r.config.mounts?.find((x) => x.containerPath === '/etc/hosts');
  assert.equal(await readFile(m?.hostPath as string, 'utf8'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.0.2.7 node01\n\n# Entries added by HostAliases.\n10.1.2.3\tdb\n');
});

const errorCases: { name: string; c: Container; volumes?: Map<string, string>; podSpec?: Partial<NonNullable<Pod['spec']>>; message: string | RegExp }[] = [
  { name: 'missing secret', c: { name: 'app', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'mysecret', key: 'password' } } }] }, message: 'secret "mysecret" not found' },
  { name: 'missing secret key', c: { name: 'app', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'user' } } }] }, message: "couldn't find key user in Secret team/db" },
  { name: 'missing configmap', c: { name: 'app', envFrom: [{ configMapRef: { name: 'x' } }] }, message: 'configmap "x" not found' },
  { name: 'volume not set up', c: { name: 'app', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, message: 'cannot find volume "nope" to mount into container "app"' },
  { name: 'absolute subPath', c: { name: 'app', volumeMounts: [{ name: 'v', mountPath: '/x', subPath: '/etc' }] }, volumes: new Map([['v', '/tmp']]), message: 'error SubPath `/etc` must not be an absolute path' },
  { name: 'subPath with ..', c: { name: 'app', volumeMounts: [{ name: 'v', mountPath: '/x', subPath: 'a/../../b' }] }, volumes: new Map([['v', '/tmp']]), message: "unable to provision SubPath `a/../../b`: must not contain '..'" },
  { name: 'subPathExpr with an unset variable', c: { name: 'app', env: [{ name: 'E', value: '' }], volumeMounts: [{ name: 'v', mountPath: '/x', subPathExpr: '$(POD)/$(E)' }] }, volumes: new Map([['v', '/tmp']]), message: 'missing value for E, POD' },
  { name: 'runAsNonRoot with runAsUser 0', c: { name: 'app', securityContext: { runAsNonRoot: true, runAsUser: 0 } }, message: 'container\'s runAsUser breaks non-root policy (pod: "web-1_team(uid-123)", container: app)' },
];
for (const ec of errorCases) {
  test(`containerConfig: CreateContainerConfigError: ${ec.name}`, async () => {
    const r = await builder.containerConfig(pod(ec.podSpec ?? {}, [ec.c]), ec.c, { attempt: 0, imageRef: 'x', podIP: '10.42.1.3', volumes: ec.volumes ?? new Map(), isInit: false });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.reason, 'CreateContainerConfigError');
    if (typeof ec.message === 'string') assert.equal(r.message, ec.message);
    else assert.match(r.message, ec.message);
  });
}

test('containerConfig: a subPath symlink escaping the volume is refused', async () => {
  const vol = join(root, 'vols/escape');
  await mkdir(vol, { recursive: true });
  await symlink('/etc', join(vol, 'out'));
  const c: Container = { name: 'app', volumeMounts: [{ name: 'v', mountPath: '/x', subPath: 'out' }] };
  const r = await builder.containerConfig(pod({}, [c]), c, { attempt: 0, imageRef: 'x', podIP: '10.42.1.3', volumes: new Map([['v', vol]]), isInit: false });
  assert.deepEqual(r, { ok: false, reason: 'CreateContainerConfigError', message: 'failed to prepare subPath for volumeMount "v" of container "app"' });
});

test('containerConfig: runAsNonRoot checks the image user when the pod names none', async () => {
  const c: Container = { name: 'app', securityContext: { runAsNonRoot: true } };
  const args = { attempt: 0, imageRef: 'x', podIP: '10.42.1.3', volumes: new Map<string, string>(), isInit: false };
  const root0 = await builder.containerConfig(pod({}, [c]), c, { ...args, image: { id: 'sha256:1', repoTags: [], repoDigests: [], size: 1, pinned: false, uid: 0 } });
  assert.deepEqual(root0, { ok: false, reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image will run as root (pod: "web-1_team(uid-123)", container: app)' });
  const named = await builder.containerConfig(pod({}, [c]), c, { ...args, image: { id: 'sha256:1', repoTags: [], repoDigests: [], size: 1, pinned: false, username: 'nginx' } });
  assert.deepEqual(named, { ok: false, reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root (pod: "web-1_team(uid-123)", container: app)' });
  const ok = await builder.containerConfig(pod({}, [c]), c, { ...args, image: { id: 'sha256:1', repoTags: [], repoDigests: [], size: 1, pinned: false, uid: 101 } });
  assert.equal(ok.ok, true);
});

test('containerConfig: enableServiceLinks false keeps only the KUBERNETES_* variables', async () => {
  const c: Container = { name: 'app' };
  const r = await builder.containerConfig(pod({ enableServiceLinks: false }, [c]), c, { attempt: 0, imageRef: 'x', podIP: '10.42.1.3', volumes: new Map(), isInit: false });
  assert.ok(r.ok);
  const names = r.config.envs?.map((e) => e.key) ?? [];
  assert.ok(names.includes('KUBERNETES_SERVICE_HOST'));
  assert.deepEqual(names.filter((n) => n.startsWith('WEB_')), []);
});

test('sandboxConfig: DNS limits are recorded as a DNSConfigForming warning on the pod', () => {
  const events: unknown[] = [];
  const b = createPodConfigBuilder({
    client, nodeName: 'node01', rootDir: root, clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', hostIP: '127.0.1.1', log: silentLogger, resolvConf: resolv,
    recorder: { event: (obj, type, reason, message) => { events.push({ kind: obj.kind, name: obj.name, fieldPath: obj.fieldPath, type, reason, message }); }, flush: async () => undefined },
  });
  const cfg = b.sandboxConfig(pod({ dnsConfig: { nameservers: ['203.0.113.1', '203.0.113.2', '203.0.113.3'] } }), 0);
  assert.deepEqual(cfg.dnsConfig?.servers, ['10.43.0.10', '203.0.113.1', '203.0.113.2']);
  assert.deepEqual(events, [{
    kind: 'Pod', name: 'web-1', fieldPath: undefined, type: 'Warning', reason: 'DNSConfigForming',
    message: 'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.43.0.10 203.0.113.1 203.0.113.2',
  }]);
});
