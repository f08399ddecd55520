import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinStrategies } from './index.js';

const all = builtinStrategies();

test('one strategy per group/version/kind and per group/resource', () => {
  const gvk = all.map((s) => `${s.group}/${s.version}/${s.kind}`);
  assert.equal(new Set(gvk).size, gvk.length);
  const gr = all.map((s) => `${s.group}/${s.resource}`);
  assert.equal(new Set(gr).size, gr.length);
  assert.deepEqual(gvk.sort(), [
    '/v1/ConfigMap', '/v1/Endpoints', '/v1/Event', '/v1/Namespace', '/v1/Node', '/v1/Pod', '/v1/Secret', '/v1/Service', '/v1/ServiceAccount',
    'apps/v1/Deployment', 'apps/v1/ReplicaSet', 'coordination.k8s.io/v1/Lease', 'discovery.k8s.io/v1/EndpointSlice', 'events.k8s.io/v1/Event',
  ]);
});

test('every table: a name column, five keys per column, one cell per column even for a bare object', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  for (const s of all) {
    const cols = s.table.columns;
    assert.equal(cols.filter((c) => c.format === 'name').length, 1, s.kind);
    for (const c of cols) assert.deepEqual(Object.keys(c).sort(), ['description', 'format', 'name', 'priority', 'type'], `${s.kind} ${c.name}`);
    const cells = s.table.cells({ metadata: { name: 'x' } }, now);
    assert.equal(cells.length, cols.length, s.kind);
  }
});

test('cluster-scoped kinds are Namespace and Node only', () => {
  assert.deepEqual(all.filter((s) => !s.namespaced).map((s) => s.kind).sort(), ['Namespace', 'Node']);
});

test('field labels: probing with a bare object gives string values (the core probes this way)', () => {
  for (const s of all) {
    const labels = s.fieldLabels?.({ metadata: {} }) ?? {};
    for (const [k, v] of Object.entries(labels)) assert.equal(typeof v, 'string', `${s.kind} ${k}`);
  }
});
