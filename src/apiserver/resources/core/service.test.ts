import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { serviceStrategy } from './service.js';

const now = new Date('2025-01-01T00:00:00Z');
const s = serviceStrategy(undefined, () => 0);
const svc = (spec: Record<string, any>, name = 'web', namespace = 'default'): KubeObject => ({ metadata: { name, namespace }, spec });
const existing = (name: string, namespace: string, clusterIP: string, nodePorts: number[] = []) => ({
  resource: 'services',
  obj: svc({ type: nodePorts.length ? 'NodePort' : 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: nodePorts.map((n, i) => ({ port: 80 + i, nodePort: n, protocol: 'TCP' })) }, name, namespace),
});

test('defaults: ClusterIP service', () => {
  const o = svc({ selector: { app: 'web' }, ports: [{ port: 80 }] });
  s.prepareForCreate!(o, fakeContext());
  assert.deepEqual(o.spec, {
    selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP', sessionAffinity: 'None',
    internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  });
  assert.deepEqual(o.status, { loadBalancer: {} });
});

test('defaults: NodePort and LoadBalancer, ClientIP affinity, headless without selector', () => {
  const np = svc({ type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 'http' }] });
  s.prepareForCreate!(np, fakeContext());
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(np.spec.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(np.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  assert.equal(np.spec.ports[0].targetPort, 'http');
  const headless = svc({ clusterIP: 'None', ports: [{ port: 5432 }] });
  s.prepareForCreate!(headless, fakeContext());
  assert.deepEqual(headless.spec.clusterIPs, ['None']);
  assert.equal(headless.spec.ipFamilyPolicy, 'RequireDualStack');
});

test('admit: allocates a ClusterIP above the static band, skipping used ones', async () => {
  const ctx = fakeContext([existing('kubernetes', 'default', '10.43.0.1'), existing('a', 'default', '10.43.1.0')]);
  const o = svc({ ports: [{ port: 80 }] });
  s.prepareForCreate!(o, ctx);
  assert.deepEqual(await s.admit!(o, undefined, ctx), []);
  assert.equal(o.spec.clusterIP, '10.43.1.1');
  assert.deepEqual(o.spec.clusterIPs, ['10.43.1.1']);
  assert.deepEqual(s.validate!(o, ctx), []);
});

const ipCases: Array<{ name: string; obj: KubeObject; want: string[] }> = [
  { name: 'taken', obj: svc({ clusterIP: '10.43.0.20', ports: [{ port: 80 }] }), want: ['spec.clusterIPs[0]: Invalid value: "10.43.0.20": failed to allocate IP 10.43.0.20: provided IP is already allocated'] },
  { name: 'DNS address reserved outside kube-system', obj: svc({ clusterIP: '10.43.0.10', ports: [{ port: 53 }] }), want: ['spec.clusterIPs[0]: Invalid value: "10.43.0.10": failed to allocate IP 10.43.0.10: provided IP is already allocated'] },
  { name: 'DNS address for kube-system', obj: svc({ clusterIP: '10.43.0.10', ports: [{ port: 53 }] }, 'kube-dns', 'kube-system'), want: [] },
  { name: 'kubernetes address reserved', obj: svc({ clusterIP: '10.43.0.1', ports: [{ port: 443 }] }), want: ['spec.clusterIPs[0]: Invalid value: "10.43.0.1": failed to allocate IP 10.43.0.1: provided IP is already allocated'] },
  { name: 'kubernetes service itself', obj: svc({ clusterIP: '10.43.0.1', ports: [{ port: 443 }] }, 'kubernetes'), want: [] },
  {
    name: 'out of range', obj: svc({ clusterIP: '10.96.0.5', ports: [{ port: 80 }] }),
    want: ['spec.clusterIPs[0]: Invalid value: "10.96.0.5": failed to allocate IP 10.96.0.5: the provided IP (10.96.0.5) is not in the valid range. The range of valid IPs is 10.43.0.0/16'],
  },
];
for (const c of ipCases) {
  test(`admit ClusterIP: ${c.name}`, async () => {
    const ctx = fakeContext([existing('b', 'other', '10.43.0.20')]);
    s.prepareForCreate!(c.obj, ctx);
    assert.deepEqual(((await s.admit!(c.obj, undefined, ctx)) ?? []).map(formatFieldError), c.want);
  });
}

const portCases: Array<{ name: string; ports: any[]; want: string[]; nodePorts?: number[] }> = [
  { name: 'allocates a free node port', ports: [{ port: 80 }], want: [], nodePorts: [30001] },
  { name: 'keeps a requested free port', ports: [{ port: 80, nodePort: 31111 }], want: [], nodePorts: [31111] },
  { name: 'out of range', ports: [{ port: 80, nodePort: 80 }], want: ['spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'] },
  { name: 'already allocated', ports: [{ port: 80, nodePort: 30000 }], want: ['spec.ports[0].nodePort: Invalid value: 30000: provided port is already allocated'] },
  { name: 'same port for TCP and UDP shares one node port', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }], want: [], nodePorts: [30001, 30001] },
];
for (const c of portCases) {
  test(`admit NodePort: ${c.name}`, async () => {
    const ctx = fakeContext([existing('b', 'other', '10.43.0.20', [30000])]);
    const o = svc({ type: 'NodePort', ports: c.ports });
    s.prepareForCreate!(o, ctx);
    assert.deepEqual(((await s.admit!(o, undefined, ctx)) ?? []).map(formatFieldError), c.want);
    if (c.nodePorts) assert.deepEqual(o.spec.ports.map((p: any) => p.nodePort), c.nodePorts);
  });
}

test('update: allocations carried over, clusterIP immutable, NodePort -> ClusterIP drops node ports', async () => {
  const ctx = fakeContext();
  const old = svc({ type: 'NodePort', ports: [{ port: 80 }] });
  s.prepareForCreate!(old, ctx);
  await s.admit!(old, undefined, ctx);
  const upd = svc({ type: 'NodePort', ports: [{ port: 80 }], selector: { app: 'v2' } });
  s.prepareForUpdate!(upd, old, ctx);
  assert.equal(upd.spec.clusterIP, old.spec.clusterIP);
  assert.equal(upd.spec.ports[0].nodePort, old.spec.ports[0].nodePort);
  assert.deepEqual(s.validateUpdate!(upd, old, ctx), []);
  const moved = svc({ ...structuredClone(old.spec), clusterIP: '10.43.0.99' });
  s.prepareForUpdate!(moved, old, ctx);
  assert.deepEqual(s.validateUpdate!(moved, old, ctx).map(formatFieldError), ['spec.clusterIPs[0]: Invalid value: ["10.43.0.99"]: may not change once set']);
  const back = svc({ ...structuredClone(old.spec), type: 'ClusterIP' });
  delete back.spec.externalTrafficPolicy;
  s.prepareForUpdate!(back, old, ctx);
  assert.equal(back.spec.ports[0].nodePort, undefined);
  assert.deepEqual(s.validateUpdate!(back, old, ctx), []);
});

const invalid: Array<{ name: string; spec: Record<string, any>; want: string[]; name2?: string }> = [
  { name: 'ports required', spec: { selector: { app: 'x' } }, want: ['spec.ports: Required value'] },
  { name: 'port names required when several', spec: { ports: [{ port: 80 }, { port: 81 }] }, want: ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value'] },
  { name: 'port range', spec: { ports: [{ port: 70000 }] }, want: ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive'] },
  { name: 'nodePort on ClusterIP', spec: { ports: [{ port: 80, nodePort: 30080 }] }, want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"] },
  { name: 'bad type', spec: { type: 'Magic', ports: [{ port: 80 }] }, want: ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'] },
  { name: 'headless NodePort', spec: { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }, want: ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"] },
  { name: 'bad clusterIP', spec: { clusterIP: 'abc', ports: [{ port: 80 }] }, want: ['spec.clusterIPs[0]: Invalid value: "abc": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] },
  { name: 'loopback externalIP', spec: { externalIPs: ['127.0.0.1'], ports: [{ port: 80 }] }, want: ['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8)'] },
  {
    name: 'duplicate port and protocol', spec: { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }, { name: 'c', port: 80, protocol: 'UDP' }] },
    want: ['spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}'],
  },
  {
    name: 'duplicate node port', spec: { type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30080 }] },
    want: ['spec.ports[1].nodePort: Duplicate value: 30080'],
  },
  { name: 'ExternalName needs externalName', spec: { type: 'ExternalName' }, want: ['spec.externalName: Required value'] },
  { name: 'ExternalName with a clusterIP', spec: { type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.43.0.9' }, want: ['spec.clusterIP: Forbidden: may not be set for ExternalName services'] },
];
for (const c of invalid) {
  test(`validate: ${c.name}`, () => {
    const o = svc(c.spec);
    s.prepareForCreate!(o, fakeContext());
    assert.deepEqual(s.validate!(o, fakeContext()).map(formatFieldError), c.want);
  });
}

test('validate: name must be a DNS-1035 label', () => {
  const o = svc({ ports: [{ port: 80 }] }, '1web');
  s.prepareForCreate!(o, fakeContext());
  assert.deepEqual(s.validate!(o, fakeContext()).map(formatFieldError), [
    "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
});

const rows: Array<{ name: string; spec: Record<string, any>; status?: Record<string, any>; want: unknown[] }> = [
  { name: 'ClusterIP', spec: { type: 'ClusterIP', clusterIPs: ['10.43.1.5'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web', tier: 'fe' } }, want: ['web', 'ClusterIP', '10.43.1.5', '<none>', '80/TCP', '<unknown>', 'app=web,tier=fe'] },
  { name: 'NodePort two ports', spec: { type: 'NodePort', clusterIPs: ['10.43.1.6'], ports: [{ port: 8080, nodePort: 31111, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }, want: ['web', 'NodePort', '10.43.1.6', '<none>', '8080:31111/TCP,53/UDP', '<unknown>', '<none>'] },
  { name: 'LoadBalancer pending', spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.7'], ports: [] }, want: ['web', 'LoadBalancer', '10.43.1.7', '<pending>', '<none>', '<unknown>', '<none>'] },
  {
    name: 'LoadBalancer with ingress and externalIPs', spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.7'], externalIPs: ['192.0.2.9'], ports: [] },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.2' }, { hostname: 'lb.example' }, { ip: '192.0.2.2' }] } },
    want: ['web', 'LoadBalancer', '10.43.1.7', '192.0.2.2,lb.example,192.0.2.9', '<none>', '<unknown>', '<none>'],
  },
  { name: 'ExternalName', spec: { type: 'ExternalName', externalName: 'db.example.com' }, want: ['web', 'ExternalName', '<none>', 'db.example.com', '<none>', '<unknown>', '<none>'] },
  { name: 'headless', spec: { type: 'ClusterIP', clusterIPs: ['None'], externalIPs: ['1.2.3.4'], ports: [{ port: 5432, protocol: 'TCP' }] }, want: ['web', 'ClusterIP', 'None', '1.2.3.4', '5432/TCP', '<unknown>', '<none>'] },
];
for (const r of rows) test(`table: ${r.name}`, () => assert.deepEqual(s.table.cells({ ...svc(r.spec), status: r.status }, now), r.want));

test('field labels and columns', () => {
  assert.deepEqual(s.fieldLabels!(svc({ type: 'NodePort', clusterIP: '10.43.1.1' })), { 'spec.clusterIP': '10.43.1.1', 'spec.type': 'NodePort' });
  assert.deepEqual(s.table.columns.map((c) => `${c.name}:${c.priority}`), ['Name:0', 'Type:0', 'Cluster-IP:0', 'External-IP:0', 'Port(s):0', 'Age:0', 'Selector:1']);
});
