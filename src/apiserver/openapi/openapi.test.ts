import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createOpenApi } from './index.js';
import { servedStrategies, testStrategy } from './test-strategies.js';
import type { PatchSchema } from './types.js';

type Json = Record<string, any>;

const api = createOpenApi(servedStrategies());

function doc(path: string): Json {
  const d = api.v3Document(path);
  assert.ok(d, `document ${path}`);
  return JSON.parse(d.json.toString('utf8'));
}

/** Walks a PatchSchema along a dotted path; `[]` steps into list items or map values. */
function at(schema: PatchSchema | undefined, path: string): PatchSchema {
  let s = schema;
  for (const step of path.split('.')) {
    assert.ok(s, `schema before ${step} in ${path}`);
    s = step === '[]' ? s.elements?.() : s.field?.(step);
  }
  assert.ok(s, `schema at ${path}`);
  return s;
}

describe('/openapi/v3 discovery', () => {
  it('lists one path per served group-version, each URL carrying the hash of its document', () => {
    const disc = api.v3Discovery() as { paths: Record<string, { serverRelativeURL: string }> };
    assert.deepEqual(Object.keys(disc.paths).sort(), [
      'api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/events.k8s.io/v1',
    ]);
    for (const [path, { serverRelativeURL }] of Object.entries(disc.paths)) {
      const d = api.v3Document(path);
      assert.ok(d);
      const expected = createHash('sha512').update(d.json).digest('hex').toUpperCase();
      assert.equal(d.hash, expected);
      assert.equal(serverRelativeURL, `/openapi/v3/${path}?hash=${expected}`);
    }
  });

  it('answers undefined for a group-version it does not serve, and is stable across calls', () => {
    assert.equal(api.v3Document('apis/batch/v1'), undefined);
    assert.equal(api.v3Document('api/v1')?.hash, api.v3Document('/api/v1')?.hash);
    assert.equal(api.v3Document('api/v1')?.json, api.v3Document('api/v1')?.json);
  });
});

describe('/openapi/v3 documents', () => {
  const paths = ['api/v1', 'apis/apps/v1', 'apis/events.k8s.io/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1'];

  it('every PATCH operation lists the fieldValidation query parameter inline', () => {
    let patches = 0;
    for (const p of paths) {
      for (const [url, item] of Object.entries(doc(p).paths as Json)) {
        if (!item.patch) continue;
        patches++;
        const names = (item.patch.parameters as Json[]).map((x) => x.name);
        assert.ok(names.includes('fieldValidation'), `${url} PATCH lacks fieldValidation`);
        const fv = (item.patch.parameters as Json[]).find((x) => x.name === 'fieldValidation');
        assert.equal(fv?.in, 'query');
      }
    }
    assert.ok(patches >= 20, `only ${patches} PATCH operations`);
  });

  const kubectlCases = [
    { name: 'core/v1 Secret', path: 'api/v1', gvk: { group: '', version: 'v1', kind: 'Secret' } },
    { name: 'core/v1 Service', path: 'api/v1', gvk: { group: '', version: 'v1', kind: 'Service' } },
    { name: 'apps/v1 Deployment', path: 'apis/apps/v1', gvk: { group: 'apps', version: 'v1', kind: 'Deployment' } },
    { name: 'events.k8s.io/v1 Event', path: 'apis/events.k8s.io/v1', gvk: { group: 'events.k8s.io', version: 'v1', kind: 'Event' } },
    { name: 'coordination.k8s.io/v1 Lease', path: 'apis/coordination.k8s.io/v1', gvk: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' } },
    { name: 'discovery.k8s.io/v1 EndpointSlice', path: 'apis/discovery.k8s.io/v1', gvk: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' } },
  ];
  for (const c of kubectlCases) {
    it(`${c.name}: kubectl's v3 check (a PATCH with this GVK and fieldValidation) passes`, () => {
      // cli-runtime query_param_verifier_v3.go: an operation with `patch` whose
      // x-kubernetes-group-version-kind equals the GVK and which has a parameter named fieldValidation.
      const found = Object.values(doc(c.path).paths as Json).some((item: Json) =>
        item.patch && JSON.stringify(item.patch['x-kubernetes-group-version-kind']) === JSON.stringify(c.gvk)
        && (item.patch.parameters as Json[]).some((x) => x.name === 'fieldValidation'));
      assert.ok(found);
    });
  }

  it('every $ref resolves inside its own document', () => {
    for (const p of paths) {
      const d = doc(p);
      const refs = JSON.stringify(d).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
      for (const r of refs) {
        const name = r.slice('"#/components/schemas/'.length, -1);
        assert.ok(d.components.schemas[name], `${p}: ${name} missing`);
      }
    }
  });

  it('kind schemas carry x-kubernetes-group-version-kind as an array, operations as an object', () => {
    const d = doc('apis/apps/v1');
    assert.deepEqual(d.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'],
      [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const item = d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(item.patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(Object.keys(item).sort(), ['delete', 'get', 'parameters', 'patch', 'put']);
    const scale = d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.ok(d.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
    assert.ok(d.paths['/apis/apps/v1/deployments'].get, 'list across namespaces');
  });

  it('carries the list and patch extensions, required fields and refs that explain and apply read', () => {
    const s = doc('api/v1').components.schemas;
    const containers = s['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.equal(containers.type, 'array');
    assert.deepEqual(containers.items, { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] });
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.deepEqual(s['io.k8s.api.core.v1.PodSpec'].required, ['containers']);
    assert.deepEqual(s['io.k8s.api.core.v1.Container'].required, ['name']);
    assert.deepEqual(s['io.k8s.api.core.v1.ContainerPort'].properties.containerPort, { type: 'integer', format: 'int32' });
    assert.deepEqual(s['io.k8s.api.core.v1.ServicePort'].properties.protocol.enum, ['SCTP', 'TCP', 'UDP']);
    assert.deepEqual(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], { type: 'string', format: 'int-or-string' });
    assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.labels.additionalProperties.type, 'string');
    // Only the served kinds and what they reference: nothing from batch or rbac.
    assert.equal(Object.keys(s).some((k) => k.includes('.batch.') || k.includes('.rbac.')), false);
  });

  it('token, binding and eviction subresources take bodies of their own kinds', () => {
    const d = doc('api/v1');
    const token = d.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'].post;
    assert.deepEqual(token['x-kubernetes-group-version-kind'], { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' });
    assert.ok(d.components.schemas['io.k8s.api.authentication.v1.TokenRequest']);
    const binding = d.paths['/api/v1/namespaces/{namespace}/pods/{name}/binding'].post;
    assert.deepEqual(binding['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Binding' });
    assert.equal(d.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'], undefined);
  });

  it('publishes a permissive schema for a served kind that has no upstream schema facts', () => {
    const extra = createOpenApi([testStrategy('example.berth.dev', 'v1', 'Widget', 'widgets', true)]);
    const d = JSON.parse(extra.v3Document('apis/example.berth.dev/v1')?.json.toString() ?? '{}');
    const schema = d.components.schemas['dev.berth.example.berth.dev.v1.Widget'];
    assert.equal(schema['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(extra.unknownFields('example.berth.dev', 'v1', 'Widget', { spec: { anything: 1 }, metadata: { nope: 1 } }),
      ['unknown field "metadata.nope"']);
  });
});

describe('/openapi/v2', () => {
  it('is the minimal gnostic Document: swagger "2.0" and info{title, version}, 28 bytes', () => {
    const b = api.v2Protobuf();
    // kubectl-wire.md 2.3, with the info length computed from the strings (0x15 = 21).
    assert.equal(b.toString('hex'), '0a03322e30' + '1215' + '0a0a' + Buffer.from('Kubernetes').toString('hex') + '1207' + Buffer.from('v1.32.0').toString('hex'));
    assert.equal(b.length, 28);
  });
});

describe('schemaFor', () => {
  const pod = api.schemaFor('', 'v1', 'Pod');
  const cases = [
    { name: 'pod containers merge by name', path: 'spec.containers', mergeKey: 'name', patchStrategy: 'merge', listType: 'map', listMapKeys: ['name'] },
    { name: 'container ports merge by containerPort, list-map keys containerPort+protocol', path: 'spec.containers.[].ports', mergeKey: 'containerPort', patchStrategy: 'merge', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
    { name: 'container env merge by name', path: 'spec.containers.[].env', mergeKey: 'name', patchStrategy: 'merge', listType: 'map', listMapKeys: ['name'] },
    { name: 'volumes merge by name and retain keys', path: 'spec.volumes', mergeKey: 'name', patchStrategy: 'merge,retainKeys', listType: 'map', listMapKeys: ['name'] },
    { name: 'init containers merge by name', path: 'spec.initContainers', mergeKey: 'name', patchStrategy: 'merge', listType: 'map', listMapKeys: ['name'] },
    { name: 'volume mounts merge by mountPath', path: 'spec.containers.[].volumeMounts', mergeKey: 'mountPath', patchStrategy: 'merge', listType: 'map', listMapKeys: ['mountPath'] },
    { name: 'finalizers are a merged set', path: 'metadata.finalizers', mergeKey: undefined, patchStrategy: 'merge', listType: 'set', listMapKeys: undefined },
    { name: 'command is atomic', path: 'spec.containers.[].command', mergeKey: undefined, patchStrategy: undefined, listType: 'atomic', listMapKeys: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = at(pod, c.path);
      assert.equal(s.type, 'array');
      assert.equal(s.mergeKey, c.mergeKey);
      assert.equal(s.patchStrategy, c.patchStrategy);
      assert.equal(s.listType, c.listType);
      assert.deepEqual(s.listMapKeys, c.listMapKeys);
    });
  }

  it('types: objects, maps, primitives, and unknown for IntOrString and RawExtension', () => {
    assert.equal(at(pod, 'spec').type, 'object');
    assert.equal(at(pod, 'metadata.labels').type, 'map');
    assert.equal(at(pod, 'metadata.labels.[]').type, 'primitive');
    assert.equal(at(pod, 'spec.containers.[].resources.limits.[]').type, 'primitive');
    assert.equal(at(pod, 'spec.containers.[].livenessProbe.httpGet.port').type, 'unknown');
    assert.equal(at(pod, 'metadata.managedFields.[].fieldsV1').type, 'unknown');
    assert.equal(at(api.schemaFor('', 'v1', 'Service'), 'spec.ports.[].targetPort').type, 'unknown');
    assert.equal(pod?.field?.('nonsense'), undefined);
  });

  it('deployment: template containers merge by name, strategy retains keys', () => {
    const d = api.schemaFor('apps', 'v1', 'Deployment');
    assert.equal(at(d, 'spec.template.spec.containers').mergeKey, 'name');
    assert.equal(at(d, 'spec.strategy').patchStrategy, 'retainKeys');
    assert.equal(at(d, 'spec.strategy').field?.('type')?.type, 'primitive');
    assert.equal(at(api.schemaFor('', 'v1', 'Service'), 'spec.ports').mergeKey, 'port');
  });

  it('finds every served kind, including the two Event kinds, and nothing unserved', () => {
    for (const [g, v, k] of [['', 'v1', 'Event'], ['events.k8s.io', 'v1', 'Event'], ['autoscaling', 'v1', 'Scale'],
      ['authentication.k8s.io', 'v1', 'TokenRequest'], ['', 'v1', 'Binding'], ['coordination.k8s.io', 'v1', 'Lease']]) {
      assert.equal(api.schemaFor(g, v, k)?.type, 'object', `${g}/${v}/${k}`);
    }
    assert.ok(api.schemaFor('events.k8s.io', 'v1', 'Event')?.field?.('note'));
    assert.equal(api.schemaFor('', 'v1', 'Event')?.field?.('note'), undefined);
    assert.equal(api.schemaFor('batch', 'v1', 'Job'), undefined);
  });
});

describe('unknownFields', () => {
  const deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', labels: { anything: 'goes' }, annotations: { 'a/b': 'c' }, creationTimestamp: null },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { limits: { cpu: '1', memory: 1024 } },
              livenessProbe: { httpGet: { path: '/', port: 'http' } }, env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
          ],
          volumes: [{ name: 'v', configMap: { name: 'c', items: [{ key: 'a', path: 'b' }] } }],
        },
      },
    },
    status: {},
  };

  const cases: Array<{ name: string; gvk: [string, string, string]; obj: unknown; want: string[] }> = [
    { name: 'every real field of a deployment is accepted', gvk: ['apps', 'v1', 'Deployment'], obj: deployment, want: [] },
    { name: 'unknown top-level field', gvk: ['', 'v1', 'ConfigMap'], obj: { metadata: { name: 'x' }, datas: {} }, want: ['unknown field "datas"'] },
    {
      name: 'unknown fields at several depths, in document order',
      gvk: ['apps', 'v1', 'Deployment'],
      obj: { spec: { foo: 1, template: { spec: { containers: [{ name: 'a' }, { name: 'b', ports: [{ containerPortZ: 8080 }], imagePullPolicyy: 'x' }] } }, bar: 2 }, metadata: { nam: 'x' } },
      want: [
        'unknown field "spec.foo"',
        'unknown field "spec.template.spec.containers[1].ports[0].containerPortZ"',
        'unknown field "spec.template.spec.containers[1].imagePullPolicyy"',
        'unknown field "spec.bar"',
        'unknown field "metadata.nam"',
      ],
    },
    { name: 'metadata.labels and annotations are free-form', gvk: ['', 'v1', 'Pod'], obj: { metadata: { labels: { x: 'y', 'a.b/c': 'd' }, annotations: { z: '{"json": true}' } } }, want: [] },
    { name: 'IntOrString takes a number or a string and is not descended into', gvk: ['', 'v1', 'Service'], obj: { spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] } }, want: [] },
    { name: 'RawExtension accepts anything', gvk: ['policy', 'v1', 'Eviction'], obj: { metadata: { name: 'p' }, deleteOptions: { gracePeriodSeconds: 0 } }, want: [] },
    { name: 'an unknown field is reported once, not descended into', gvk: ['', 'v1', 'Pod'], obj: { spec: { containerz: [{ name: 'a', bogus: 1 }] } }, want: ['unknown field "spec.containerz"'] },
    { name: 'inside a list of objects in a map-typed volume source', gvk: ['', 'v1', 'Pod'], obj: { spec: { volumes: [{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: 'p', mod: 1 }] } }] } }, want: ['unknown field "spec.volumes[0].secret.items[0].mod"'] },
    { name: 'fields of a secret and its stringData map', gvk: ['', 'v1', 'Secret'], obj: { type: 'Opaque', data: { a: 'Yg==' }, stringData: { b: 'c' }, immutable: true, extra: 1 }, want: ['unknown field "extra"'] },
    { name: 'managedFields fieldsV1 is free-form', gvk: ['', 'v1', 'ConfigMap'], obj: { metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:data': { 'f:a': {} } }, fieldz: 1 }] } }, want: ['unknown field "metadata.managedFields[0].fieldz"'] },
    { name: 'events.k8s.io Event fields differ from core Event', gvk: ['events.k8s.io', 'v1', 'Event'], obj: { note: 'n', reportingController: 'c', reason: 'r', message: 'm' }, want: ['unknown field "message"'] },
    { name: 'nulls and wrong types are not unknown fields', gvk: ['', 'v1', 'Pod'], obj: { spec: null, status: 'x', metadata: { labels: null } }, want: [] },
    { name: 'unserved kinds report nothing', gvk: ['batch', 'v1', 'Job'], obj: { spec: { foo: 1 } }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const schemaApi = c.gvk[0] === 'policy' ? createOpenApi([...servedStrategies(), testStrategy('policy', 'v1', 'Eviction', 'evictions', true)]) : api;
      assert.deepEqual(schemaApi.unknownFields(c.gvk[0], c.gvk[1], c.gvk[2], c.obj), c.want);
    });
  }
});

describe('strictFieldErrors (raw JSON)', () => {
  const cases: Array<{ name: string; gvk: [string, string, string]; json: string; want: string[] | undefined }> = [
    {
      name: "upstream's conformance body: unknown then duplicate, in document order",
      gvk: ['apps', 'v1', 'Deployment'],
      json: '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"unknownField":"foo","replicas":2,"replicas":3,"selector":{"matchLabels":{"a":"b"}}}}',
      want: ['unknown field "spec.unknownField"', 'duplicate field "spec.replicas"'],
    },
    {
      name: 'duplicates and unknowns inside lists, with escapes in keys and strings',
      gvk: ['', 'v1', 'Pod'],
      json: ' { "spec" : { "containers" : [ {"name":"a","image":"x\\"y"}, {"name":"b","name":"c","po\\u0072ts":[{"containerPort":1,"hostPortt":2}]} ] } } ',
      want: ['duplicate field "spec.containers[1].name"', 'unknown field "spec.containers[1].ports[0].hostPortt"'],
    },
    {
      name: 'duplicate keys in a free-form map are reported; a repeated unknown field only once',
      gvk: ['', 'v1', 'ConfigMap'],
      json: '{"metadata":{"labels":{"a":"1","a":"2"}},"bogus":{"x":1,"x":2},"bogus":3,"data":{}}',
      want: ['duplicate field "metadata.labels.a"', 'unknown field "bogus"'],
    },
    {
      name: 'RawExtension and IntOrString contents are not checked',
      gvk: ['', 'v1', 'Service'],
      json: '{"spec":{"ports":[{"port":80,"targetPort":"http"},{"port":81,"targetPort":8081}]},"status":{"loadBalancer":{}}}',
      want: [],
    },
    { name: 'not JSON', gvk: ['', 'v1', 'Pod'], json: '{"spec":', want: undefined },
    { name: 'trailing garbage', gvk: ['', 'v1', 'Pod'], json: '{} x', want: undefined },
    { name: 'a kind without a schema', gvk: ['batch', 'v1', 'Job'], json: '{"a":1,"a":2}', want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(api.strictFieldErrors?.(c.gvk[0], c.gvk[1], c.gvk[2], Buffer.from(c.json)), c.want);
    });
  }

  it('stops at 100 errors, as upstream does', () => {
    const fields = Array.from({ length: 150 }, (_, n) => `"f${n}":1`).join(',');
    const errors = api.strictFieldErrors?.('', 'v1', 'ConfigMap', `{${fields}}`);
    assert.equal(errors?.length, 100);
    assert.equal(errors?.[99], 'unknown field "f99"');
    assert.equal(api.unknownFields('', 'v1', 'ConfigMap', JSON.parse(`{${fields}}`)).length, 100);
  });

  it('agrees with unknownFields on a body without duplicates', () => {
    const body = { spec: { foo: 1, template: { spec: { containers: [{ name: 'a', x: 1 }], volumes: [{ name: 'v', emptyDir: { y: 2 } }] } } }, metadata: { z: 3 } };
    assert.deepEqual(api.strictFieldErrors?.('apps', 'v1', 'Deployment', JSON.stringify(body)), api.unknownFields('apps', 'v1', 'Deployment', body));
  });
});
