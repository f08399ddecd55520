import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import { AdmissionForbiddenError, type KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { podStatusCells, podStrategy, podRowConditions } from './pod.js';

const now = new Date('2025-01-01T12:00:00Z');
const ctx = fakeContext([], now);
const s = podStrategy(() => 0);

function pod(spec: Record<string, any> = {}, meta: Record<string, any> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', ...meta }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } };
}

test('prepareForCreate: upstream defaults, status Pending and QoS', () => {
  const p = pod({ containers: [{ name: 'c', image: 'nginx:1.25', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } }] });
  s.prepareForCreate!(p, ctx);
  const c = p.spec.containers[0];
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.ports[0].protocol, 'TCP');
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(p.spec.restartPolicy, 'Always');
  assert.equal(p.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(p.spec.schedulerName, 'default-scheduler');
  assert.deepEqual(p.spec.securityContext, {});
  assert.equal(p.spec.terminationGracePeriodSeconds, 30);
  assert.equal(p.spec.enableServiceLinks, true);
  assert.deepEqual(p.spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
});

const qos: Array<{ name: string; resources: any[]; want: string }> = [
  { name: 'no resources', resources: [{}], want: 'BestEffort' },
  { name: 'limits only (requests defaulted)', resources: [{ limits: { cpu: '1', memory: '1Gi' } }], want: 'Guaranteed' },
  { name: 'equal requests and limits in 1000m form', resources: [{ requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], want: 'Guaranteed' },
  { name: 'requests below limits', resources: [{ requests: { cpu: '500m' }, limits: { cpu: '1', memory: '1Gi' } }], want: 'Burstable' },
  { name: 'cpu limit only', resources: [{ limits: { cpu: '1' } }], want: 'Burstable' },
  { name: 'one guaranteed one besteffort', resources: [{ limits: { cpu: '1', memory: '1Gi' } }, {}], want: 'Burstable' },
  { name: 'only non-qos resource', resources: [{ requests: { 'ephemeral-storage': '1Gi' } }], want: 'BestEffort' },
];
for (const c of qos) {
  test(`qosClass: ${c.name}`, () => {
    const p = pod({ containers: c.resources.map((r, i) => ({ name: `c${i}`, image: 'nginx', resources: r })) });
    s.prepareForCreate!(p, ctx);
    assert.equal(p.status.qosClass, c.want);
  });
}

test('admit: ServiceAccount volume, mounts and imagePullSecrets', async () => {
  const sa: KubeObject = { metadata: { name: 'default', namespace: 'default' }, imagePullSecrets: [{ name: 'regcred' }] };
  const c = fakeContext([{ resource: 'serviceaccounts', obj: sa }], now);
  const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
  s.prepareForCreate!(p, c);
  await s.admit!(p, undefined, c);
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'regcred' }]);
  assert.equal(p.spec.volumes.length, 1);
  const v = p.spec.volumes[0];
  assert.equal(v.name, 'kube-api-access-bbbbb');
  assert.deepEqual(v.projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  });
  for (const ctr of [...p.spec.initContainers, ...p.spec.containers]) {
    assert.deepEqual(ctr.volumeMounts, [{ name: 'kube-api-access-bbbbb', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  }
  assert.deepEqual(s.validate!(p, c), []);
});

test('admit: pod pull secrets win, automount false skips the volume', async () => {
  const sa: KubeObject = { metadata: { name: 'builder', namespace: 'default' }, imagePullSecrets: [{ name: 'sa' }], automountServiceAccountToken: false };
  const c = fakeContext([{ resource: 'serviceaccounts', obj: sa }], now);
  const p = pod({ serviceAccountName: 'builder', imagePullSecrets: [{ name: 'mine' }] });
  await s.admit!(p, undefined, c);
  assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'mine' }]);
  assert.equal(p.spec.volumes, undefined);
});

test('admit: missing ServiceAccount is forbidden with upstream text', async () => {
  await assert.rejects(s.admit!(pod({}, { namespace: 'team' }), undefined, fakeContext([], now)), (e: unknown) =>
    e instanceof AdmissionForbiddenError && e.message === 'error looking up service account team/default: serviceaccount "default" not found');
});

const invalid: Array<{ name: string; pod: KubeObject; want: string[] }> = [
  {
    name: 'bad names (reliability A.5)',
    pod: pod({ containers: [{ name: 'Bad_Name', image: 'nginx' }] }, { name: 'UPPER_case' }),
    want: [
      "metadata.name: Invalid value: \"UPPER_case\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      "spec.containers[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ],
  },
  { name: 'no containers', pod: pod({ containers: [] }), want: ['spec.containers: Required value'] },
  { name: 'image required', pod: pod({ containers: [{ name: 'c' }] }), want: ['spec.containers[0].image: Required value'] },
  { name: 'image whitespace', pod: pod({ containers: [{ name: 'c', image: ' nginx' }] }), want: ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace'] },
  {
    name: 'init container name clashes with a container', pod: pod({ initContainers: [{ name: 'c', image: 'busybox' }] }),
    want: ['spec.initContainers[0].name: Duplicate value: "c"'],
  },
  {
    name: 'env names', pod: pod({ containers: [{ name: 'c', image: 'a', env: [{ name: 'A=B' }, { value: 'x' }, { name: '1.ok-too' }] }] }),
    want: ["spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='", 'spec.containers[0].env[1].name: Required value'],
  },
  {
    name: 'probes', pod: pod({ containers: [{ name: 'c', image: 'a', livenessProbe: { successThreshold: 2, httpGet: { port: 0 } }, readinessProbe: {} }] }),
    want: [
      'spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    ],
  },
  { name: 'duplicate container names', pod: pod({ containers: [{ name: 'c', image: 'a' }, { name: 'c', image: 'b' }] }), want: ['spec.containers[1].name: Duplicate value: "c"'] },
  {
    name: 'restartPolicy not supported', pod: pod({ restartPolicy: 'Sometimes' }),
    want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  },
  {
    name: 'pull policy not supported', pod: pod({ containers: [{ name: 'c', image: 'a', imagePullPolicy: 'Sometimes' }] }),
    want: ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
  },
  {
    name: 'port range and duplicate names',
    pod: pod({ containers: [{ name: 'c', image: 'a', ports: [{ name: 'http', containerPort: 70000 }, { name: 'http', containerPort: 80 }] }] }),
    want: [
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].name: Duplicate value: "http"',
    ],
  },
  {
    name: 'volume name and mount not found',
    pod: pod({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }], containers: [{ name: 'c', image: 'a', volumeMounts: [{ name: 'other', mountPath: '/x' }] }] }),
    want: ['spec.volumes[1].name: Duplicate value: "data"', 'spec.containers[0].volumeMounts[0].name: Not found: "other"'],
  },
  {
    name: 'requests above limits',
    pod: pod({ containers: [{ name: 'c', image: 'a', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }),
    want: ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
  },
];
for (const c of invalid) {
  test(`validate: ${c.name}`, () => {
    s.prepareForCreate!(c.pod, ctx);
    assert.deepEqual(s.validate!(c.pod, ctx).map(formatFieldError), c.want);
  });
}

test('validateUpdate: image may change, ports may not', () => {
  const old = pod({ containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }] });
  s.prepareForCreate!(old, ctx);
  const img = structuredClone(old);
  img.spec.containers[0].image = 'nginx:2';
  assert.deepEqual(s.validateUpdate!(img, old, ctx), []);
  const ports = structuredClone(old);
  ports.spec.containers[0].ports[0].containerPort = 81;
  assert.deepEqual(s.validateUpdate!(ports, old, ctx).map(formatFieldError), [
    'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
  ]);
  const tol = structuredClone(old);
  tol.spec.tolerations.push({ key: 'x', operator: 'Exists' });
  assert.deepEqual(s.validateUpdate!(tol, old, ctx), []);
});

const T = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();
const cont = (status: any) => ({ name: 'c', ...status });
const rows: Array<{ name: string; pod: KubeObject; want: [string, string, string] }> = [
  { name: 'pending, no statuses', pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } }, want: ['0/1', 'Pending', '0'] },
  {
    name: 'ContainerCreating',
    pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending', containerStatuses: [cont({ state: { waiting: { reason: 'ContainerCreating' } } })] } },
    want: ['0/1', 'ContainerCreating', '0'],
  },
  {
    name: 'running and ready',
    pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', containerStatuses: [cont({ ready: true, state: { running: {} } })] } },
    want: ['1/1', 'Running', '0'],
  },
  {
    name: 'CrashLoopBackOff with last restart 40s ago',
    pod: {
      metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] },
      status: { phase: 'Running', containerStatuses: [cont({ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: T(40) } } })] },
    },
    want: ['0/1', 'CrashLoopBackOff', '4 (40s ago)'],
  },
  {
    name: 'Completed',
    pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Succeeded', containerStatuses: [cont({ state: { terminated: { exitCode: 0, reason: 'Completed' } } })] } },
    want: ['0/1', 'Completed', '0'],
  },
  {
    name: 'terminated without reason shows ExitCode',
    pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Failed', containerStatuses: [cont({ state: { terminated: { exitCode: 3 } } })] } },
    want: ['0/1', 'ExitCode:3', '0'],
  },
  {
    name: 'Init:1/2',
    pod: {
      metadata: { name: 'p' }, spec: { initContainers: [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'c' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0 } } }, { name: 'b', state: { running: {} } }] },
    },
    want: ['0/1', 'Init:1/2', '0'],
  },
  {
    name: 'Init:CrashLoopBackOff without lastState',
    pod: {
      metadata: { name: 'p' }, spec: { initContainers: [{ name: 'a' }], containers: [{ name: 'c' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'a', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    },
    want: ['0/1', 'Init:CrashLoopBackOff', '3'],
  },
  {
    name: 'Init:Error',
    pod: {
      metadata: { name: 'p' }, spec: { initContainers: [{ name: 'a' }], containers: [{ name: 'c' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
    },
    want: ['0/1', 'Init:Error', '0'],
  },
  {
    name: 'Terminating',
    pod: {
      metadata: { name: 'p', deletionTimestamp: T(1) }, spec: { containers: [{ name: 'c' }] },
      status: { phase: 'Running', containerStatuses: [cont({ ready: true, state: { running: {} } })] },
    },
    want: ['1/1', 'Terminating', '0'],
  },
  {
    name: 'NodeLost while deleting is Unknown',
    pod: { metadata: { name: 'p', deletionTimestamp: T(1) }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', reason: 'NodeLost' } },
    want: ['0/1', 'Unknown', '0'],
  },
  {
    name: 'SchedulingGated',
    pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } },
    want: ['0/1', 'SchedulingGated', '0'],
  },
  {
    name: 'sidecar counts toward READY',
    pod: {
      metadata: { name: 'p' }, spec: { initContainers: [{ name: 's', restartPolicy: 'Always' }], containers: [{ name: 'c' }] },
      status: {
        phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 's', started: true, ready: true, state: { running: {} } }],
        containerStatuses: [cont({ ready: true, state: { running: {} } })],
      },
    },
    want: ['2/2', 'Running', '0'],
  },
  {
    name: 'Completed with one container still running and pod not Ready is NotReady',
    pod: {
      metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { name: 'b', ready: true, state: { running: {} } }] },
    },
    want: ['1/2', 'NotReady', '0'],
  },
];
for (const r of rows) {
  test(`table: ${r.name}`, () => {
    const c = podStatusCells(r.pod, now);
    assert.deepEqual([c.ready, c.status, c.restarts], r.want);
  });
}

test('table: full row, wide cells and row conditions', () => {
  const p: KubeObject = {
    metadata: { name: 'web', creationTimestamp: T(150) },
    spec: { nodeName: 'node01', containers: [{ name: 'c' }], readinessGates: [{ conditionType: 'x/ready' }] },
    status: { phase: 'Succeeded', podIP: '10.42.0.5', conditions: [{ type: 'x/ready', status: 'True' }] },
  };
  assert.deepEqual(s.table.cells(p, now), ['web', '0/1', 'Succeeded', '0', '2m30s', '10.42.0.5', 'node01', '<none>', '1/1']);
  assert.equal(s.table.columns.map((c) => c.name).join('|'), 'Name|Ready|Status|Restarts|Age|IP|Node|Nominated Node|Readiness Gates');
  assert.deepEqual(s.table.columns.map((c) => c.priority), [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(podRowConditions(p), [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
});

test('gracePeriod and field labels', () => {
  const p = pod({ nodeName: 'n1', terminationGracePeriodSeconds: 45 });
  assert.equal(s.gracePeriod!(p, undefined), 45);
  assert.equal(s.gracePeriod!(p, 5), 5);
  assert.equal(s.gracePeriod!(pod(), undefined), 0, 'unscheduled pods go at once');
  assert.equal(s.gracePeriod!({ ...p, status: { phase: 'Failed' } }, undefined), 0);
  assert.equal(s.fieldLabels!({ ...p, status: { phase: 'Running' } })['status.phase'], 'Running');
  assert.equal(s.fieldLabels!(p)['spec.nodeName'], 'n1');
});

test('warnings: dotted pod name and negative grace period (pkg/api/pod/warnings.go)', () => {
  const c = fakeContext([], now);
  const p = pod({ terminationGracePeriodSeconds: -1 }, { name: 'web.v1' });
  s.prepareForCreate!(p, c);
  s.validate!(p, c);
  assert.deepEqual(c.warnings, [
    "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
    'spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
  ]);
});

const priorities: Array<{ name: string; spec: Record<string, any>; priority?: number; error?: string }> = [
  { name: 'no class', spec: {}, priority: 0 },
  { name: 'system-node-critical', spec: { priorityClassName: 'system-node-critical' }, priority: 2000001000 },
  { name: 'user class', spec: { priorityClassName: 'high' }, priority: 1000 },
  { name: 'missing class', spec: { priorityClassName: 'nope' }, error: 'no PriorityClass with name nope was found' },
  {
    name: 'stated priority disagrees', spec: { priority: 5 },
    error: 'the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
  },
];
for (const c of priorities) {
  test(`admit: Priority (${c.name})`, async () => {
    const sa: KubeObject = { metadata: { name: 'default', namespace: 'default' } };
    const pc: KubeObject = { metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'Never' };
    const ctx2 = fakeContext([{ resource: 'serviceaccounts', obj: sa }, { resource: 'priorityclasses', obj: pc }], now);
    const p = pod(c.spec);
    s.prepareForCreate!(p, ctx2);
    if (c.error) {
      await assert.rejects(s.admit!(p, undefined, ctx2), (e: unknown) => e instanceof AdmissionForbiddenError && e.message === c.error);
      return;
    }
    await s.admit!(p, undefined, ctx2);
    assert.equal(p.spec.priority, c.priority);
    assert.equal(p.spec.preemptionPolicy, c.name === 'user class' ? 'Never' : 'PreemptLowerPriority');
  });
}
