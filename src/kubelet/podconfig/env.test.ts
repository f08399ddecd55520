// Container environment resolution and its error texts, after upstream's kubelet_pods_test.go
// TestMakeEnvironmentVariables and envvars_test.go.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { ContainerConfigError, fromServices, makeEnvironmentVariables, serviceEnvVarMap, type EnvContext, type EnvVar } from './env.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const secrets: Record<string, Secret> = {
  mysecret: { metadata: { name: 'mysecret', namespace: 'default' }, data: { password: b64('s3cr3t'), user: b64('admin') } },
};
const configMaps: Record<string, ConfigMap> = {
  settings: { metadata: { name: 'settings', namespace: 'default' }, data: { LOG_LEVEL: 'debug', REPLICAS: '3' } },
};

function ctx(over: Partial<EnvContext> = {}): EnvContext {
  return {
    podIPs: ['10.42.1.7'],
    hostIPs: ['127.0.1.1'],
    serviceEnv: new Map(),
    node: { cpuMilli: 2000n, memoryBytes: 4n * 1024n ** 3n, ephemeralStorageBytes: 0n },
    sources: {
      secret: async (n) => (secrets[n] ? { found: true, object: secrets[n] } : { found: false, notFound: true }),
      configMap: async (n) => (configMaps[n] ? { found: true, object: configMaps[n] } : { found: false, notFound: true }),
    },
    ...over,
  };
}

function pod(container: Container): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', labels: { app: 'web', tier: 'a"b' }, annotations: { note: 'x' } },
    spec: { containers: [container], nodeName: 'node01', serviceAccountName: 'builder' },
  };
}

type Case = { name: string; container: Container; ctx?: Partial<EnvContext>; want?: EnvVar[]; error?: string };
const cases: Case[] = [
  {
    name: 'values in declared order, $(VAR) of earlier vars expanded, later ones left as written',
    container: { name: 'c', env: [{ name: 'A', value: 'a' }, { name: 'B', value: '$(A)-$(C)' }, { name: 'C', value: 'c' }, { name: 'D', value: '$$(A)' }] },
    want: [{ name: 'A', value: 'a' }, { name: 'B', value: 'a-$(C)' }, { name: 'C', value: 'c' }, { name: 'D', value: '$(A)' }],
  },
  {
    name: 'envFrom with prefix, env overrides envFrom and sees its values',
    container: {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'S_', secretRef: { name: 'mysecret' } }],
      env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'WHO', value: '$(S_user)@$(REPLICAS)' }],
    },
    want: [
      { name: 'LOG_LEVEL', value: 'info' }, { name: 'REPLICAS', value: '3' }, { name: 'S_password', value: 's3cr3t' },
      { name: 'S_user', value: 'admin' }, { name: 'WHO', value: 'admin@3' },
    ],
  },
  {
    name: 'secretKeyRef and configMapKeyRef',
    container: { name: 'c', env: [
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'mysecret', key: 'password' } } },
      { name: 'LVL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LOG_LEVEL' } } },
    ] },
    want: [{ name: 'PW', value: 's3cr3t' }, { name: 'LVL', value: 'debug' }],
  },
  { name: 'missing secret', container: { name: 'c', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'nosuch', key: 'password' } } }] }, error: 'secret "nosuch" not found' },
  { name: 'missing secret key', container: { name: 'c', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'mysecret', key: 'token' } } }] }, error: "couldn't find key token in Secret default/mysecret" },
  { name: 'missing configmap', container: { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }] }, error: 'configmap "x" not found' },
  { name: 'missing configmap key', container: { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'k' } } }] }, error: "couldn't find key k in ConfigMap default/settings" },
  { name: 'missing envFrom secret', container: { name: 'c', envFrom: [{ secretRef: { name: 'gone' } }] }, error: 'secret "gone" not found' },
  { name: 'missing envFrom configmap', container: { name: 'c', envFrom: [{ configMapRef: { name: 'gone' } }] }, error: 'configmap "gone" not found' },
  {
    name: 'optional sources and keys that are missing are skipped',
    container: {
      name: 'c',
      envFrom: [{ secretRef: { name: 'gone', optional: true } }, { configMapRef: { name: 'gone', optional: true } }],
      env: [
        { name: 'A', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'mysecret', key: 'k', optional: true } } },
        { name: 'C', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } },
        { name: 'D', valueFrom: { configMapKeyRef: { name: 'settings', key: 'k', optional: true } } },
        { name: 'E', value: 'kept' },
      ],
    },
    want: [{ name: 'E', value: 'kept' }],
  },
  {
    name: 'an API failure other than NotFound is not excused by optional',
    container: { name: 'c', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'mysecret', key: 'k', optional: true } } }] },
    ctx: { sources: { secret: async () => ({ found: false, notFound: false, message: 'Unauthorized' }), configMap: async () => ({ found: false, notFound: true }) } },
    error: 'Unauthorized',
  },
  {
    name: 'fieldRef paths',
    container: { name: 'c', env: [
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'HOST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'URL', value: 'http://$(POD_IP):80/$(NAME)' },
    ] },
    want: [
      { name: 'NAME', value: 'web' }, { name: 'NS', value: 'default' }, { name: 'UID', value: 'uid-1' }, { name: 'APP', value: 'web' },
      { name: 'NOTE', value: 'x' }, { name: 'LABELS', value: 'app="web"\ntier="a\\"b"' }, { name: 'NODE', value: 'node01' },
      { name: 'SA', value: 'builder' }, { name: 'HOST_IP', value: '127.0.1.1' }, { name: 'HOST_IPS', value: '127.0.1.1' },
      { name: 'POD_IP', value: '10.42.1.7' }, { name: 'POD_IPS', value: '10.42.1.7' }, { name: 'URL', value: 'http://10.42.1.7:80/web' },
    ],
  },
  { name: 'fieldRef with an unknown field', container: { name: 'c', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] }, error: 'field label not supported: spec.bogus' },
  { name: 'fieldRef with a subscript on a field without one', container: { name: 'c', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: "metadata.name['x']" } } }] }, error: "field label does not support subscript: metadata.name['x']" },
  { name: 'fieldRef with another API version', container: { name: 'c', env: [{ name: 'X', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } }] }, error: 'unsupported pod version: v2' },
  {
    name: 'resourceFieldRef: divisors round up, unset limits default to node allocatable',
    container: {
      name: 'c',
      resources: { requests: { cpu: '250m', memory: '100Mi' }, limits: { cpu: '1500m' } },
      env: [
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'CPU_LIMIT_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'MEM_REQ_MI', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
        { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      ],
    },
    want: [
      { name: 'CPU_LIMIT', value: '2' }, { name: 'CPU_LIMIT_M', value: '1500' }, { name: 'CPU_REQ', value: '1' },
      { name: 'MEM_REQ_MI', value: '100' }, { name: 'MEM_LIMIT', value: String(4 * 1024 ** 3) },
    ],
  },
  { name: 'resourceFieldRef of an unknown resource', container: { name: 'c', env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }, error: 'unsupported container resource : limits.gpu' },
  { name: 'resourceFieldRef of an unknown container', container: { name: 'c', env: [{ name: 'X', valueFrom: { resourceFieldRef: { containerName: 'other', resource: 'limits.cpu' } } }] }, error: 'container other not found' },
  {
    name: 'service variables: usable in $(VAR), appended when not declared, declared ones win',
    container: { name: 'c', env: [{ name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' }, { name: 'KUBERNETES_PORT', value: 'mine' }] },
    ctx: { serviceEnv: new Map([['KUBERNETES_SERVICE_HOST', '10.43.0.1'], ['KUBERNETES_SERVICE_PORT', '443'], ['KUBERNETES_PORT', 'tcp://10.43.0.1:443']]) },
    want: [{ name: 'API', value: 'https://10.43.0.1:443' }, { name: 'KUBERNETES_PORT', value: 'mine' }, { name: 'KUBERNETES_SERVICE_HOST', value: '10.43.0.1' }, { name: 'KUBERNETES_SERVICE_PORT', value: '443' }],
  },
];

for (const c of cases) {
  test(`makeEnvironmentVariables: ${c.name}`, async () => {
    const run = makeEnvironmentVariables(pod(c.container), c.container, ctx(c.ctx));
    if (c.error !== undefined) {
      await assert.rejects(run, (e: unknown) => e instanceof ContainerConfigError && e.message === c.error);
    } else {
      assert.deepEqual(await run, c.want);
    }
  });
}

const svc = (ns: string, name: string, clusterIP: string, ports: NonNullable<Service['spec']>['ports']): Service => ({ metadata: { name, namespace: ns }, spec: { clusterIP, ports } });

test('fromServices: the Docker-link variables of envvars.FromServices', () => {
  const env = fromServices([svc('team', 'my-db.v2', '10.43.5.6', [{ name: 'sql', port: 5432 }, { name: 'metrics', port: 9187, protocol: 'UDP' }])]);
  assert.deepEqual(env, [
    { name: 'MY_DB_V2_SERVICE_HOST', value: '10.43.5.6' },
    { name: 'MY_DB_V2_SERVICE_PORT', value: '5432' },
    { name: 'MY_DB_V2_SERVICE_PORT_SQL', value: '5432' },
    { name: 'MY_DB_V2_SERVICE_PORT_METRICS', value: '9187' },
    { name: 'MY_DB_V2_PORT', value: 'tcp://10.43.5.6:5432' },
    { name: 'MY_DB_V2_PORT_5432_TCP', value: 'tcp://10.43.5.6:5432' },
    { name: 'MY_DB_V2_PORT_5432_TCP_PROTO', value: 'tcp' },
    { name: 'MY_DB_V2_PORT_5432_TCP_PORT', value: '5432' },
    { name: 'MY_DB_V2_PORT_5432_TCP_ADDR', value: '10.43.5.6' },
    { name: 'MY_DB_V2_PORT_9187_UDP', value: 'udp://10.43.5.6:9187' },
    { name: 'MY_DB_V2_PORT_9187_UDP_PROTO', value: 'udp' },
    { name: 'MY_DB_V2_PORT_9187_UDP_PORT', value: '9187' },
    { name: 'MY_DB_V2_PORT_9187_UDP_ADDR', value: '10.43.5.6' },
  ]);
  assert.equal(fromServices([svc('team', '1st', '10.43.0.9', [{ port: 80 }])])[0].name, '_1ST_SERVICE_HOST');
});

test('serviceEnvVarMap: kubernetes from default always, own namespace only with service links, headless skipped', () => {
  const services = [
    svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443 }]),
    svc('team', 'web', '10.43.7.7', [{ port: 80 }]),
    svc('team', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'db', '10.43.8.8', [{ port: 5432 }]),
  ];
  const on = serviceEnvVarMap(services, 'team', true);
  assert.equal(on.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal(on.get('KUBERNETES_SERVICE_PORT_HTTPS'), '443');
  assert.equal(on.get('KUBERNETES_PORT_443_TCP'), 'tcp://10.43.0.1:443');
  assert.equal(on.get('WEB_SERVICE_HOST'), '10.43.7.7');
  assert.equal(on.has('HEADLESS_SERVICE_HOST'), false);
  assert.equal(on.has('DB_SERVICE_HOST'), false);
  const off = serviceEnvVarMap(services, 'team', false);
  assert.deepEqual([...off.keys()].filter((k) => !k.startsWith('KUBERNETES_')), []);
  assert.equal(off.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
});
