import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { deploymentStrategy } from './deployment.js';

const now = new Date('2025-01-01T00:00:00Z');
const s = deploymentStrategy();
const deploy = (spec: Record<string, any> = {}): KubeObject => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
    ...spec,
  },
});

test('defaults: replicas, RollingUpdate 25%/25%, history 10, deadline 600, template defaults', () => {
  const d = deploy();
  s.prepareForCreate!(d, fakeContext());
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.equal(d.spec.template.spec.restartPolicy, 'Always');
  assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(d.status, {});
  assert.equal(d.metadata.generation, 1);
  assert.deepEqual(s.validate!(d, fakeContext()), []);
  const r = deploy({ strategy: { type: 'Recreate' } });
  s.prepareForCreate!(r, fakeContext());
  assert.deepEqual(r.spec.strategy, { type: 'Recreate' });
});

const invalid: Array<{ name: string; obj: KubeObject; want: string[] }> = [
  {
    name: 'selector does not match template labels', obj: deploy({ selector: { matchLabels: { app: 'other' } } }),
    want: ['spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
  },
  { name: 'selector required', obj: deploy({ selector: undefined }), want: ['spec.selector: Required value'] },
  { name: 'empty selector', obj: deploy({ selector: {} }), want: ['spec.selector: Invalid value: {}: empty selector is invalid for deployment'] },
  { name: 'negative replicas', obj: deploy({ replicas: -1 }), want: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'] },
  {
    name: 'template restartPolicy must be Always', obj: deploy({ template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } }),
    want: ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
  },
  {
    name: 'template image required', obj: deploy({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } }),
    want: ['spec.template.spec.containers[0].image: Required value'],
  },
  {
    name: 'both surge and unavailable zero', obj: deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }),
    want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0'],
  },
  {
    name: 'bad percent', obj: deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } }),
    want: ["spec.strategy.rollingUpdate.maxSurge: Invalid value: \"lots\": must be an integer or percentage (e.g '5%')"],
  },
  {
    name: 'Recreate with rollingUpdate', obj: deploy({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }),
    want: ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
  },
  { name: 'deadline not above minReady', obj: deploy({ minReadySeconds: 700 }), want: ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds'] },
  {
    name: 'bad selector operator', obj: deploy({ selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['web'] }] } }),
    want: ['spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator', 'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Near","values":["web"]}]}: invalid label selector'],
  },
];
for (const c of invalid) {
  test(`validate: ${c.name}`, () => {
    s.prepareForCreate!(c.obj, fakeContext());
    assert.deepEqual(s.validate!(c.obj, fakeContext()).map(formatFieldError), c.want);
  });
}

test('update: selector is immutable in apps/v1, status carried over', () => {
  const old = deploy();
  s.prepareForCreate!(old, fakeContext());
  old.status = { replicas: 1 };
  const upd = deploy({ selector: { matchLabels: { app: 'web', tier: 'x' } }, template: { metadata: { labels: { app: 'web', tier: 'x' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } });
  s.prepareForUpdate!(upd, old, fakeContext());
  assert.deepEqual(upd.status, { replicas: 1 });
  assert.deepEqual(s.validateUpdate!(upd, old, fakeContext()).map(formatFieldError), ['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable']);
});

test('warning: negative terminationGracePeriodSeconds', () => {
  const ctx = fakeContext();
  const d = deploy({ template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: -1, containers: [{ name: 'c', image: 'x' }] } } });
  s.prepareForCreate!(d, ctx);
  s.validate!(d, ctx);
  assert.deepEqual(ctx.warnings, ['spec.template.spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1']);
});

const rows: Array<{ name: string; obj: KubeObject; want: unknown[] }> = [
  { name: 'brand new', obj: { ...deploy(), status: {} }, want: ['web', '0/1', 0, 0, '<unknown>', 'nginx', 'nginx:1.25', 'app=web'] },
  {
    name: 'rolled out, expressions in the selector',
    obj: {
      metadata: { name: 'api', creationTimestamp: '2024-12-31T23:00:00Z' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    },
    want: ['api', '2/3', 3, 2, '60m', 'a,b', 'a:1,b:2', 'app=api,env in (dev,prod)'],
  },
  { name: 'nil selector', obj: { metadata: { name: 'x' }, spec: { replicas: 0 } }, want: ['x', '0/0', 0, 0, '<unknown>', '', '', ''] },
];
for (const r of rows) test(`table: ${r.name}`, () => assert.deepEqual(s.table.cells(r.obj, now), r.want));

test('columns and scale', () => {
  assert.deepEqual(s.table.columns.map((c) => `${c.name}:${c.priority}`), ['Name:0', 'Ready:0', 'Up-to-date:0', 'Available:0', 'Age:0', 'Containers:1', 'Images:1', 'Selector:1']);
  assert.equal(s.subresources?.scale?.specReplicasPath, 'spec.replicas');
  assert.equal(s.tracksGeneration, true);
});

test('warning: a dotted name on create', () => {
  const ctx = fakeContext();
  const d = deploy();
  d.metadata.name = 'manage-v1.1';
  s.prepareForCreate!(d, ctx);
  assert.deepEqual(s.validate!(d, ctx), []);
  assert.deepEqual(ctx.warnings, ['metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]']);
});
