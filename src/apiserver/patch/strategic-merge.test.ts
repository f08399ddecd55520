import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PatchSchema } from '../openapi/types.js';
import { applyStrategicMergePatch, PatchError } from './index.js';

// Hand-built schema facts, as k8s.io/api's struct tags declare them (patchMergeKey/patchStrategy).
const prim: PatchSchema = { type: 'primitive' };
const obj = (fields: Record<string, PatchSchema>, extra: Partial<PatchSchema> = {}): PatchSchema => ({ type: 'object', field: (n) => fields[n], ...extra });
const list = (items: PatchSchema, extra: Partial<PatchSchema> = {}): PatchSchema => ({ type: 'array', elements: () => items, ...extra });
const map = (values: PatchSchema): PatchSchema => ({ type: 'map', elements: () => values });

const objectMeta = obj({ name: prim, namespace: prim, labels: map(prim), annotations: map(prim), finalizers: list(prim, { patchStrategy: 'merge' }) });
const container = obj({
  name: prim,
  image: prim,
  command: list(prim),
  args: list(prim),
  ports: list(obj({ containerPort: prim, protocol: prim, name: prim }), { mergeKey: 'containerPort', patchStrategy: 'merge' }),
  env: list(obj({ name: prim, value: prim }), { mergeKey: 'name', patchStrategy: 'merge' }),
  volumeMounts: list(obj({ name: prim, mountPath: prim }), { mergeKey: 'mountPath', patchStrategy: 'merge' }),
});
const volume = obj({ name: prim, configMap: obj({ name: prim }), emptyDir: obj({ medium: prim }), hostPath: obj({ path: prim }) });
const podSpec = obj({
  containers: list(container, { mergeKey: 'name', patchStrategy: 'merge' }),
  volumes: list(volume, { mergeKey: 'name', patchStrategy: 'merge,retainKeys' }),
  nodeSelector: map(prim),
});
const deployment = obj({
  apiVersion: prim,
  kind: prim,
  metadata: objectMeta,
  spec: obj({
    replicas: prim,
    selector: obj({ matchLabels: map(prim) }),
    strategy: obj({ type: prim, rollingUpdate: obj({ maxSurge: prim, maxUnavailable: prim }) }, { patchStrategy: 'retainKeys' }),
    template: obj({ metadata: objectMeta, spec: podSpec }),
  }),
});

const podSpecOf = (containers: unknown[], extra: Record<string, unknown> = {}): unknown => ({ spec: { template: { spec: { containers, ...extra } } } });
const nginx = { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] };

describe('applyStrategicMergePatch', () => {
  const cases: Array<{ name: string; original: unknown; patch: unknown; want: unknown }> = [
    {
      name: 'merges a container by name and keeps its other fields ($setElementOrder from kubectl apply)',
      original: podSpecOf([nginx]),
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }], containers: [{ image: 'nginx:1.26', name: 'nginx' }] } } } },
      want: podSpecOf([{ ...nginx, image: 'nginx:1.26' }]),
    },
    {
      name: 'adds a container in the $setElementOrder position',
      original: podSpecOf([nginx]),
      patch: {
        spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }], containers: [{ command: ['sleep', '3600'], image: 'busybox:1.36', name: 'sidecar' }] } } },
      },
      want: podSpecOf([nginx, { command: ['sleep', '3600'], image: 'busybox:1.36', name: 'sidecar' }]),
    },
    {
      name: 'reorders by $setElementOrder alone',
      original: podSpecOf([{ name: 'a' }, { name: 'b' }]),
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } } } },
      want: podSpecOf([{ name: 'b' }, { name: 'a' }]),
    },
    {
      // Upstream puts new items before the live ones when no order is given (the kubectl patch
      // task page shows patch-demo-ctr-2 ahead of patch-demo-ctr).
      name: 'without $setElementOrder a new item goes first',
      original: podSpecOf([nginx]),
      patch: podSpecOf([{ name: 'redis', image: 'redis' }]),
      want: podSpecOf([{ name: 'redis', image: 'redis' }, nginx]),
    },
    {
      name: '$patch: delete removes a list item by merge key',
      original: podSpecOf([nginx, { name: 'sidecar', image: 'busybox' }]),
      patch: podSpecOf([{ name: 'sidecar', $patch: 'delete' }]),
      want: podSpecOf([nginx]),
    },
    {
      name: '$patch: replace in a list replaces the whole list',
      original: podSpecOf([nginx, { name: 'sidecar', image: 'busybox' }]),
      patch: podSpecOf([{ $patch: 'replace' }, { name: 'only', image: 'x' }]),
      want: podSpecOf([{ name: 'only', image: 'x' }]),
    },
    {
      name: '$patch: replace on a map replaces the map',
      original: { metadata: { labels: { a: '1', b: '2' } } },
      patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
      want: { metadata: { labels: { c: '3' } } },
    },
    {
      name: '$patch: delete on a map empties it',
      original: { spec: { template: { spec: { nodeSelector: { disk: 'ssd' }, containers: [] } } } },
      patch: { spec: { template: { spec: { nodeSelector: { $patch: 'delete' } } } } },
      want: { spec: { template: { spec: { nodeSelector: {}, containers: [] } } } },
    },
    {
      name: 'null deletes a key, and nulls for absent keys are dropped',
      original: { metadata: { labels: { app: 'web', tier: 'fe' } } },
      patch: { metadata: { labels: { tier: null, gone: null }, annotations: { a: 'x', b: null } } },
      want: { metadata: { labels: { app: 'web' }, annotations: { a: 'x' } } },
    },
    {
      name: 'a list without a merge strategy is replaced',
      original: podSpecOf([{ name: 'c', command: ['sleep', '3600'] }]),
      patch: podSpecOf([{ name: 'c', command: ['true'] }]),
      want: podSpecOf([{ name: 'c', command: ['true'] }]),
    },
    {
      name: 'primitive list with strategy merge is a union (finalizers), keeping live order',
      original: { metadata: { finalizers: ['a', 'b'] } },
      patch: { metadata: { finalizers: ['b', 'c'] } },
      want: { metadata: { finalizers: ['a', 'b', 'c'] } },
    },
    {
      name: 'primitive union: a new value alone goes first',
      original: { metadata: { finalizers: ['a', 'b'] } },
      patch: { metadata: { finalizers: ['c'] } },
      want: { metadata: { finalizers: ['c', 'a', 'b'] } },
    },
    {
      name: '$deleteFromPrimitiveList removes values',
      original: { metadata: { finalizers: ['a', 'b', 'c'] } },
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
      want: { metadata: { finalizers: ['a', 'c'] } },
    },
    {
      name: '$retainKeys drops fields not listed (deployment strategy)',
      original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      want: { spec: { strategy: { type: 'Recreate' } } },
    },
    {
      name: '$retainKeys inside a volume switches its source',
      original: podSpecOf([], { volumes: [{ name: 'v', emptyDir: {} }] }),
      patch: podSpecOf([], { volumes: [{ $retainKeys: ['configMap', 'name'], name: 'v', configMap: { name: 'cm' } }] }),
      want: podSpecOf([], { volumes: [{ name: 'v', configMap: { name: 'cm' } }] }),
    },
    {
      name: 'ports merge by containerPort',
      original: podSpecOf([nginx]),
      patch: podSpecOf([{ name: 'nginx', '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 443 }], ports: [{ containerPort: 443, name: 'https' }] }]),
      want: podSpecOf([{ ...nginx, ports: [{ containerPort: 80 }, { containerPort: 443, name: 'https' }] }]),
    },
    {
      name: 'env merges by name',
      original: podSpecOf([{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]),
      patch: podSpecOf([{ name: 'c', env: [{ name: 'B', value: '3' }] }]),
      want: podSpecOf([{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }] }]),
    },
    {
      name: 'volumeMounts merge by mountPath',
      original: podSpecOf([{ name: 'c', volumeMounts: [{ name: 'a', mountPath: '/a' }] }]),
      patch: podSpecOf([{ name: 'c', volumeMounts: [{ name: 'b', mountPath: '/a' }] }]),
      want: podSpecOf([{ name: 'c', volumeMounts: [{ name: 'b', mountPath: '/a' }] }]),
    },
    {
      name: 'maps without schema merge recursively',
      original: { status: { x: { a: 1 } } },
      patch: { status: { x: { b: 2 } } },
      want: { status: { x: { a: 1, b: 2 } } },
    },
    {
      name: 'a list added where there was none has its nulls dropped',
      original: { spec: { template: { spec: {} } } },
      patch: podSpecOf([{ name: 'x', image: 'y', env: [{ name: 'A', value: null }] }]),
      want: podSpecOf([{ name: 'x', image: 'y', env: [{ name: 'A' }] }]),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = JSON.stringify(c.original);
      assert.deepEqual(applyStrategicMergePatch(c.original, c.patch, deployment), c.want);
      assert.equal(JSON.stringify(c.original), before, 'the original is not modified');
    });
  }

  const bad: Array<{ name: string; original: unknown; patch: unknown; message: string }> = [
    {
      name: 'list item without its merge key',
      original: podSpecOf([nginx]),
      patch: podSpecOf([{ image: 'x' }]),
      message: 'map: map[image:x] does not contain declared merge key: name',
    },
    {
      name: 'unknown $patch on a map',
      original: { metadata: { labels: {} } },
      patch: { metadata: { labels: { $patch: 'bogus', a: 'b' } } },
      message: 'unknown patch type: bogus in map: map[$patch:bogus a:b]',
    },
    {
      name: '$patch: merge on a map (upstream accepts only replace and delete there)',
      original: { metadata: { labels: {} } },
      patch: { metadata: { labels: { $patch: 'merge' } } },
      message: 'unknown patch type: merge in map: map[$patch:merge]',
    },
    {
      name: '$patch: merge inside a list',
      original: podSpecOf([nginx]),
      patch: podSpecOf([{ $patch: 'merge' }]),
      message: 'merging lists cannot yet be specified in the patch',
    },
    {
      name: 'a patched field missing from $retainKeys',
      original: { spec: { strategy: { type: 'RollingUpdate' } } },
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'RollingUpdate', rollingUpdate: { maxSurge: 2 } } } },
      message: 'invalid patch format of retainKeys',
    },
    {
      name: 'list items out of $setElementOrder order',
      original: podSpecOf([{ name: 'a' }, { name: 'b' }]),
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: 'x' }, { name: 'a', image: 'y' }] } } } },
      message: 'invalid patch format of setElementOrder list',
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => applyStrategicMergePatch(c.original, c.patch, deployment), (e: unknown) => {
        assert.ok(e instanceof PatchError);
        assert.equal(e.message, c.message);
        assert.equal(e.code, 422);
        return true;
      });
    });
  }

  it('applies the patch kubectl apply sends, last-applied annotation included (kubectl-wire.md 4.2)', () => {
    const lastApplied = (image: string): string =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { annotations: {}, labels: { app: 'web' }, name: 'web', namespace: 'default' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ image, name: 'nginx', ports: [{ containerPort: 80 }] }] } },
        },
      }) + '\n';
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'default',
        labels: { app: 'web' },
        annotations: { 'deployment.kubernetes.io/revision': '1', 'kubectl.kubernetes.io/last-applied-configuration': lastApplied('nginx:1.25') },
        resourceVersion: '42',
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' }] },
        },
      },
    };
    // The body kubectl 1.32 sent for an image change, verbatim in shape.
    const patch = JSON.parse(
      JSON.stringify({
        metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied('nginx:1.26') } },
        spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }], containers: [{ image: 'nginx:1.26', name: 'nginx' }] } } },
      }),
    );
    const out = applyStrategicMergePatch(live, patch, deployment) as typeof live;
    assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], lastApplied('nginx:1.26'));
    assert.equal(out.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(out.spec.template.spec.containers, [
      { name: 'nginx', image: 'nginx:1.26', ports: [{ containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' },
    ]);
    assert.deepEqual(out.spec.strategy, live.spec.strategy);
    assert.equal(out.metadata.resourceVersion, '42');
  });
});
