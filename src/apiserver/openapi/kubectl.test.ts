// The real kubectl against the OpenAPI documents and the protobuf decoder. A small loopback HTTP
// server stands in for the API server core: legacy discovery, /openapi/*, and create endpoints
// that decode JSON or protobuf bodies and apply fieldValidation=Strict with unknownFields().
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeKubernetesProtobuf, isKubernetesProtobuf } from '../protobuf/index.js';
import type { ResourceStrategy } from '../resources/types.js';
import { OPENAPI_V2_CONTENT_TYPE, createOpenApi } from './index.js';
import { servedStrategies } from './test-strategies.js';

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  obj?: Record<string, any>;
  body?: string;
}

/** Objects the stand-in server created, by item path, so that apply's update path finds them. */
const store = new Map<string, Record<string, any>>();

const strategies = servedStrategies();
const api = createOpenApi(strategies);

function kubectlAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('kubectl', ['version', '--client'], (err) => resolve(!err)));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

function json(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  res.writeHead(code, { 'Content-Type': contentType });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

function resourceList(gv: string, list: ResourceStrategy[]): unknown {
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv,
    resources: list.map((s) => ({ name: s.resource, singularName: s.singular, namespaced: s.namespaced, kind: s.kind, verbs: s.verbs, shortNames: s.shortNames ?? [] })),
  };
}

/** Legacy discovery and /openapi/* from the module; POST creates echo the decoded object. */
function handle(recorded: Recorded[], req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const groups = new Map<string, ResourceStrategy[]>();
  for (const s of strategies) {
    const gv = s.group ? `${s.group}/${s.version}` : s.version;
    groups.set(gv, [...(groups.get(gv) ?? []), s]);
  }
  if (req.method === 'GET') {
    recorded.push({ method: 'GET', url: req.url ?? '', contentType: '' });
    if (path === '/version') return json(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
    if (path === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      const named = [...groups.keys()].filter((gv) => gv.includes('/'));
      return json(res, 200, {
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: named.map((gv) => {
          const [name, version] = gv.split('/');
          return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
        }),
      });
    }
    if (path === '/api/v1') return json(res, 200, resourceList('v1', groups.get('v1') ?? []));
    const m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (m && groups.has(`${m[1]}/${m[2]}`)) return json(res, 200, resourceList(`${m[1]}/${m[2]}`, groups.get(`${m[1]}/${m[2]}`) ?? []));
    if (path === '/openapi/v3') return json(res, 200, api.v3Discovery());
    if (path === '/openapi/v2') return json(res, 200, api.v2Protobuf(), OPENAPI_V2_CONTENT_TYPE);
    if (path.startsWith('/openapi/v3/')) {
      const doc = api.v3Document(path.slice('/openapi/v3/'.length));
      if (doc) return json(res, 200, doc.json);
    }
    const stored = store.get(path);
    if (stored) return json(res, 200, stored);
    return status(res, 404, 'NotFound', 'the server could not find the requested resource');
  }
  if (req.method === 'POST') {
    const contentType = req.headers['content-type'] ?? '';
    let obj: Record<string, any>;
    try {
      obj = isKubernetesProtobuf(contentType) ? decodeKubernetesProtobuf(body) : JSON.parse(body.toString('utf8'));
    } catch (e) {
      return status(res, 415, 'UnsupportedMediaType', (e as Error).message);
    }
    recorded.push({ method: 'POST', url: req.url ?? '', contentType, obj });
    const [group, version] = (obj.apiVersion as string).includes('/') ? (obj.apiVersion as string).split('/') : ['', obj.apiVersion];
    if (url.searchParams.get('fieldValidation') === 'Strict') {
      const unknown = api.unknownFields(group, version, obj.kind, obj);
      if (unknown.length) return status(res, 400, 'BadRequest', `strict decoding error: ${unknown.join(', ')}`);
    }
    const created = structuredClone(obj);
    created.metadata = { ...created.metadata, namespace: created.metadata?.namespace ?? 'default', uid: 'u-1', resourceVersion: '1' };
    if (obj.kind === 'TokenRequest') created.status = { token: 'a.b.c', expirationTimestamp: '2030-01-01T00:00:00Z' };
    else store.set(`${path}/${created.metadata.name}`, created);
    return json(res, 201, created);
  }
  if (req.method === 'PATCH' && store.has(path)) {
    recorded.push({ method: 'PATCH', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: body.toString('utf8') });
    return json(res, 200, store.get(path));
  }
  return status(res, 405, 'MethodNotAllowed', 'method not allowed');
}

describe('kubectl 1.32 against the OpenAPI documents and the protobuf decoder', async () => {
  const available = await kubectlAvailable();
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  const recorded: Recorded[] = [];

  before(async () => {
    if (!available) return;
    dir = mkdtempSync(join(tmpdir(), 'berth-openapi-kubectl-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handle(recorded, req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: t',
      'clusters: [{name: t, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: t, user: {}}]',
      'contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]', '',
    ].join('\n'));
  });

  after(async () => {
    if (!available) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  /** The last create request kubectl sent. */
  function lastPost(): Recorded {
    const r = recorded.filter((x) => x.method === 'POST').at(-1);
    assert.ok(r, 'kubectl sent no POST');
    return r;
  }

  it('kubectl explain pod.spec.containers prints the fields with their types', async (t) => {
    if (!available) return t.skip('kubectl is not installed');
    const r = await kubectl('explain', 'pod.spec.containers');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Pod$/m);
    assert.match(r.stdout, /^VERSION:\s+v1$/m);
    assert.match(r.stdout, /^FIELD: containers <\[\]Container>$/m);
    for (const line of [
      /^ {2}args\t<\[\]string>$/m, /^ {2}env\t<\[\]EnvVar>$/m, /^ {2}image\t<string>$/m,
      /^ {2}imagePullPolicy\t<string>$/m, /^ {2}livenessProbe\t<Probe>$/m, /^ {2}name\t<string> -required-$/m,
      /^ {2}ports\t<\[\]ContainerPort>$/m, /^ {2}resources\t<ResourceRequirements>$/m, /^ {2}volumeMounts\t<\[\]VolumeMount>$/m,
    ]) {
      assert.match(r.stdout, line);
    }
    assert.match(r.stdout, /enum: Always, IfNotPresent, Never/);
  });

  it('kubectl explain deployment.spec.strategy (apps/v1) and service.spec.ports.targetPort', async (t) => {
    if (!available) return t.skip('kubectl is not installed');
    const d = await kubectl('explain', 'deployment.spec.strategy');
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^GROUP:\s+apps$/m);
    assert.match(d.stdout, /^ {2}rollingUpdate\t<RollingUpdateDeployment>$/m);
    assert.match(d.stdout, /^ {2}type\t<string>$/m);
    const s = await kubectl('explain', 'service.spec.ports.targetPort');
    assert.equal(s.code, 0, s.stderr);
    // kubectl's explain template (pkg/explain/v2/templates/plaintext.tmpl, typeGuess) prints the
    // type of a referenced non-object schema: IntOrString is {type: string, format: int-or-string}.
    assert.match(s.stdout, /^FIELD: targetPort <string>$/m);
  });

  const creates = [
    {
      name: 'create secret docker-registry',
      args: ['create', 'secret', 'docker-registry', 'regcred', '--docker-server=registry.example.com', '--docker-username=alice', '--docker-password=s3cret', '--docker-email=alice@example.com'],
      out: 'secret/regcred created',
      url: '/api/v1/namespaces/default/secrets?fieldManager=kubectl-create&fieldValidation=Strict',
      want: {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from('{"auths":{"registry.example.com":{"username":"alice","password":"s3cret","email":"alice@example.com","auth":"YWxpY2U6czNjcmV0"}}}').toString('base64') },
      },
    },
    {
      name: 'create secret generic',
      args: ['create', 'secret', 'generic', 's1', '--from-literal=a=b', '--from-literal=empty='],
      out: 'secret/s1 created',
      url: '/api/v1/namespaces/default/secrets?fieldManager=kubectl-create&fieldValidation=Strict',
      want: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { a: 'Yg==', empty: '' } },
    },
    {
      name: 'create configmap',
      args: ['create', 'configmap', 'cm1', '--from-literal=k=v'],
      out: 'configmap/cm1 created',
      url: '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create&fieldValidation=Strict',
      want: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { k: 'v' } },
    },
    {
      name: 'create namespace',
      args: ['create', 'namespace', 'dev'],
      out: 'namespace/dev created',
      url: '/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict',
      want: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' }, spec: {}, status: {} },
    },
    {
      name: 'create serviceaccount',
      args: ['create', 'serviceaccount', 'sa1'],
      out: 'serviceaccount/sa1 created',
      url: '/api/v1/namespaces/default/serviceaccounts?fieldManager=kubectl-create&fieldValidation=Strict',
      want: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1' } },
    },
    {
      name: 'create service nodeport',
      args: ['create', 'service', 'nodeport', 'svc2', '--tcp=80:http', '--node-port=30080'],
      out: 'service/svc2 created',
      url: '/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict',
      want: {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc2', labels: { app: 'svc2' } },
        spec: { ports: [{ name: '80-http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 }], selector: { app: 'svc2' }, type: 'NodePort' },
        status: { loadBalancer: {} },
      },
    },
    {
      name: 'create service clusterip (headless)',
      args: ['create', 'service', 'clusterip', 'h', '--tcp=80:8080', '--clusterip=None'],
      out: 'service/h created',
      url: '/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict',
      want: {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'h', labels: { app: 'h' } },
        spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'h' }, clusterIP: 'None', type: 'ClusterIP' },
        status: { loadBalancer: {} },
      },
    },
    {
      name: 'create service loadbalancer',
      args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=443'],
      out: 'service/lb created',
      url: '/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict',
      want: {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', labels: { app: 'lb' } },
        spec: { ports: [{ name: '443', protocol: 'TCP', port: 443, targetPort: 443 }], selector: { app: 'lb' }, type: 'LoadBalancer' },
        status: { loadBalancer: {} },
      },
    },
    {
      name: 'create service externalname',
      args: ['create', 'service', 'externalname', 'ext', '--external-name=db.example.com'],
      out: 'service/ext created',
      url: '/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict',
      want: {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', labels: { app: 'ext' } },
        spec: { selector: { app: 'ext' }, type: 'ExternalName', externalName: 'db.example.com' },
        status: { loadBalancer: {} },
      },
    },
    {
      name: 'create deployment',
      args: ['create', 'deployment', 'web', '--image=nginx', '--port=80', '--replicas=2'],
      out: 'deployment.apps/web created',
      url: '/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict',
      want: {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 2, selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] } },
          strategy: {},
        },
        status: {},
      },
    },
    {
      name: 'create token',
      args: ['create', 'token', 'sa1', '--duration=1h'],
      out: 'a.b.c',
      url: '/api/v1/namespaces/default/serviceaccounts/sa1/token',
      want: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { expirationSeconds: 3600 }, status: { token: '' } },
    },
  ];
  for (const c of creates) {
    it(`kubectl ${c.name} sends protobuf that decodes to the object kubectl built`, async (t) => {
      if (!available) return t.skip('kubectl is not installed');
      const r = await kubectl(...c.args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), c.out);
      const post = lastPost();
      assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
      assert.equal(post.url, c.url);
      assert.deepEqual(post.obj, c.want);
    });
  }

  it('kubectl run sends JSON (no protobuf path needed)', async (t) => {
    if (!available) return t.skip('kubectl is not installed');
    const r = await kubectl('run', 'nginx', '--image=nginx:1.25');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'pod/nginx created');
    const post = lastPost();
    assert.equal(post.contentType, 'application/json');
    assert.equal(post.obj?.spec.containers[0].image, 'nginx:1.25');
  });

  it('kubectl apply relies on server-side validation: fieldValidation=Strict, unknown fields rejected with their paths', async (t) => {
    if (!available) return t.skip('kubectl is not installed');
    const file = join(dir, 'deploy.yaml');
    writeFileSync(file, [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: typo, labels: {app: typo}}',
      'spec:', '  selector: {matchLabels: {app: typo}}', '  bogus: 1',
      '  template:', '    metadata: {labels: {app: typo}}',
      '    spec: {containers: [{name: c, image: nginx, imagePullPolicyy: Always, ports: [{containerPort: 80}]}]}', '',
    ].join('\n'));
    const r = await kubectl('apply', '-f', file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /strict decoding error: unknown field "spec\.bogus", unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/);
    const post = lastPost();
    assert.equal(post.url, '/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-client-side-apply&fieldValidation=Strict');
    assert.equal(recorded.some((x) => x.url.startsWith('/openapi/v2')), false, 'no client-side validation fallback');

    writeFileSync(file, [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: ok, labels: {app: ok}}',
      'spec:', '  replicas: 1', '  selector: {matchLabels: {app: ok}}', '  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}',
      '  template:', '    metadata: {labels: {app: ok}}',
      '    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}], env: [{name: A, value: b}], resources: {limits: {cpu: 1}}}]}', '',
    ].join('\n'));
    const ok = await kubectl('apply', '-f', file);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'deployment.apps/ok created');
  });

  it('kubectl apply of an existing object computes a strategic merge patch from the v3 document', async (t) => {
    if (!available) return t.skip('kubectl is not installed');
    const file = join(dir, 'update.yaml');
    const manifest = (image: string) => [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: upd, labels: {app: upd}}',
      'spec:', '  selector: {matchLabels: {app: upd}}',
      '  template:', '    metadata: {labels: {app: upd}}',
      `    spec: {containers: [{name: c, image: "${image}"}]}`, '',
    ].join('\n');
    writeFileSync(file, manifest('nginx:1.25'));
    const first = await kubectl('apply', '-f', file);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), 'deployment.apps/upd created');
    writeFileSync(file, manifest('nginx:1.26'));
    const second = await kubectl('apply', '-f', file);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'deployment.apps/upd configured');
    const patch = recorded.filter((x) => x.method === 'PATCH').at(-1);
    assert.ok(patch);
    assert.equal(patch.url, '/apis/apps/v1/namespaces/default/deployments/upd?fieldManager=kubectl-client-side-apply&fieldValidation=Strict');
    assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
    const body = JSON.parse(patch.body ?? '{}');
    assert.deepEqual(body.spec.template.spec['$setElementOrder/containers'], [{ name: 'c' }]);
    assert.deepEqual(body.spec.template.spec.containers, [{ image: 'nginx:1.26', name: 'c' }]);
    // kubectl 1.32 takes the patch metadata (merge keys) from the v3 document; it asks for no /openapi/v2.
    const gets = recorded.filter((x) => x.method === 'GET').map((x) => x.url);
    assert.ok(gets.some((u) => u.startsWith('/openapi/v3/apis/apps/v1?hash=')));
    assert.equal(gets.some((u) => u.startsWith('/openapi/v2')), false);
  });

  it('kubectl create -f of realistic manifests of every served kind passes strict validation', async (t) => {
    if (!available) return t.skip('kubectl is not installed');
    const file = join(dir, 'all.yaml');
    writeFileSync(file, [
      'apiVersion: v1', 'kind: Namespace', 'metadata: {name: team, labels: {env: dev}}', '---',
      'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: cfg}', 'data: {a: b}', 'binaryData: {bin: AAE=}', 'immutable: false', '---',
      'apiVersion: v1', 'kind: Secret', 'metadata: {name: sec}', 'type: Opaque', 'stringData: {password: x}', 'data: {b: Yg==}', '---',
      'apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: robot}', 'automountServiceAccountToken: false', 'imagePullSecrets: [{name: sec}]', '---',
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: pod, annotations: {a: b}}', 'spec:',
      '  restartPolicy: Never', '  terminationGracePeriodSeconds: 5', '  nodeSelector: {disk: ssd}',
      '  securityContext: {runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3000]}',
      '  tolerations: [{key: k, operator: Exists, effect: NoSchedule}]',
      '  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: k, operator: In, values: [v]}]}]}}}',
      '  volumes: [{name: v1, emptyDir: {sizeLimit: 1Gi}}, {name: v2, configMap: {name: cfg, items: [{key: a, path: a}]}}, {name: v3, secret: {secretName: sec, defaultMode: 0400}}, {name: v4, projected: {sources: [{serviceAccountToken: {path: t, expirationSeconds: 3600}}]}}]',
      '  initContainers: [{name: init, image: busybox, command: [sh, -c, "true"]}]',
      '  containers:', '  - name: app', '    image: nginx:1.25', '    imagePullPolicy: IfNotPresent',
      '    ports: [{name: http, containerPort: 80, protocol: TCP}]',
      '    env: [{name: A, value: b}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}, {name: S, valueFrom: {secretKeyRef: {name: sec, key: b, optional: true}}}]',
      '    envFrom: [{configMapRef: {name: cfg}, prefix: CFG_}]',
      '    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 1, memory: 128Mi}}',
      '    volumeMounts: [{name: v1, mountPath: /cache}, {name: v2, mountPath: /etc/cfg, readOnly: true}]',
      '    livenessProbe: {httpGet: {path: /, port: http}, initialDelaySeconds: 3, periodSeconds: 5}',
      '    readinessProbe: {tcpSocket: {port: 80}}', '    startupProbe: {exec: {command: [cat, /tmp/ok]}, failureThreshold: 30}',
      '    lifecycle: {preStop: {exec: {command: [sleep, "1"]}}}',
      '    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}', '---',
      'apiVersion: v1', 'kind: Service', 'metadata: {name: svc}', 'spec:', '  type: NodePort', '  selector: {app: web}',
      '  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080, protocol: TCP}]', '  sessionAffinity: ClientIP',
      '  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}', '  externalTrafficPolicy: Local', '---',
      'apiVersion: apps/v1', 'kind: ReplicaSet', 'metadata: {name: rs}', 'spec:', '  replicas: 1', '  minReadySeconds: 1',
      '  selector: {matchExpressions: [{key: app, operator: In, values: [rs]}]}',
      '  template: {metadata: {labels: {app: rs}}, spec: {containers: [{name: c, image: nginx}]}}', '---',
      'apiVersion: coordination.k8s.io/v1', 'kind: Lease', 'metadata: {name: lease}',
      'spec: {holderIdentity: me, leaseDurationSeconds: 15, renewTime: "2025-01-01T12:00:00.000000Z"}', '---',
      'apiVersion: discovery.k8s.io/v1', 'kind: EndpointSlice', 'metadata: {name: eps, labels: {kubernetes.io/service-name: svc}}', 'addressType: IPv4',
      'endpoints: [{addresses: [10.42.0.7], conditions: {ready: true}, nodeName: node01, targetRef: {kind: Pod, name: pod}}]',
      'ports: [{name: http, port: 80, protocol: TCP}]', '---',
      'apiVersion: events.k8s.io/v1', 'kind: Event', 'metadata: {name: ev}', 'eventTime: "2025-01-01T12:00:00.000000Z"',
      'reportingController: berth/kubelet', 'reportingInstance: node01', 'action: Pulling', 'reason: Pulling', 'type: Normal',
      'regarding: {kind: Pod, name: pod, namespace: default}', 'note: Pulling image', '---',
      'apiVersion: v1', 'kind: Endpoints', 'metadata: {name: svc}', 'subsets: [{addresses: [{ip: 10.42.0.7, nodeName: node01}], ports: [{name: http, port: 80}]}]', '',
    ].join('\n'));
    const r = await kubectl('create', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'namespace/team created', 'configmap/cfg created', 'secret/sec created', 'serviceaccount/robot created', 'pod/pod created',
      'service/svc created', 'replicaset.apps/rs created', 'lease.coordination.k8s.io/lease created',
      'endpointslice.discovery.k8s.io/eps created', 'event.events.k8s.io/ev created', 'endpoints/svc created',
    ]);
    assert.ok(recorded.filter((x) => x.method === 'POST').slice(-11).every((x) => x.url.includes('fieldValidation=Strict')));
  });
});
