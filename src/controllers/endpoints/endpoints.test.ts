import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { computeEndpointSlices, computeEndpoints, findPort } from './endpoints.js';

function svc(over: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { app: 'web' } },
    spec: { selector: { app: 'web' }, clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...over },
  };
}

function pod(name: string, ip: string | undefined, o: { ready?: boolean; node?: string; deleting?: boolean; phase?: string; labels?: Record<string, string>; hostname?: string; subdomain?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: o.labels ?? { app: 'web' }, deletionTimestamp: o.deleting ? '2024-01-01T00:00:00Z' : undefined },
    spec: { nodeName: o.node, hostname: o.hostname, subdomain: o.subdomain, containers: [{ name: 'nginx', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: o.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

test('findPort resolves numeric and named target ports', () => {
  const p = pod('a', '10.42.0.5');
  const cases = [
    { name: 'named', sp: { port: 80, targetPort: 'http' }, want: 8080 },
    { name: 'number', sp: { port: 80, targetPort: 9000 }, want: 9000 },
    { name: 'defaults to port', sp: { port: 80 }, want: 80 },
    { name: 'unknown name', sp: { port: 80, targetPort: 'grpc' }, want: undefined },
    { name: 'protocol must match', sp: { port: 53, targetPort: 'http', protocol: 'UDP' }, want: undefined },
  ];
  for (const tc of cases) assert.equal(findPort(p, tc.sp), tc.want, tc.name);
});

test('computeEndpoints: ready vs notReady addresses, sorted by IP, with targetRef and nodeName', () => {
  const pods = [
    pod('b', '10.42.1.7', { node: 'node02' }),
    pod('a', '10.42.0.5', { node: 'node01' }),
    pod('c', '10.42.0.9', { node: 'node01', ready: false }),
    pod('pending', undefined),
    pod('leaving', '10.42.0.10', { deleting: true }),
    pod('done', '10.42.0.11', { phase: 'Succeeded' }),
    pod('other', '10.42.0.12', { labels: { app: 'db' } }),
  ];
  const ep = computeEndpoints(svc(), pods);
  assert.deepEqual(ep, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    subsets: [{
      addresses: [
        { ip: '10.42.0.5', nodeName: 'node01', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } },
        { ip: '10.42.1.7', nodeName: 'node02', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } },
      ],
      notReadyAddresses: [{ ip: '10.42.0.9', nodeName: 'node01', targetRef: { kind: 'Pod', namespace: 'default', name: 'c', uid: 'uid-c' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }],
  });
});

test('computeEndpoints: no selector, publishNotReadyAddresses, headless hostnames, no pods', () => {
  assert.equal(computeEndpoints(svc({ selector: undefined }), [pod('a', '10.42.0.5')]), undefined, 'selector-less Services are left alone');
  const publish = computeEndpoints(svc({ publishNotReadyAddresses: true }), [pod('c', '10.42.0.9', { ready: false })]);
  assert.equal(publish?.subsets?.[0].addresses?.[0].ip, '10.42.0.9');
  const headless = computeEndpoints(svc({ clusterIP: 'None', ports: [] }), [pod('h', '10.42.0.3', { hostname: 'h0', subdomain: 'web' })]);
  assert.deepEqual(headless?.metadata?.labels, { app: 'web', 'service.kubernetes.io/headless': '' });
  assert.deepEqual(headless?.subsets, [{ addresses: [{ ip: '10.42.0.3', hostname: 'h0', targetRef: { kind: 'Pod', namespace: 'default', name: 'h', uid: 'uid-h' } }] }]);
  assert.equal(computeEndpoints(svc(), [])?.subsets, undefined);
  const named = computeEndpoints(svc(), [pod('n', '10.42.0.4', { hostname: 'n0', subdomain: 'web' }), pod('m', '10.42.0.6', { hostname: 'm0', subdomain: 'other' })]);
  assert.deepEqual(named?.subsets?.[0].addresses?.map((a) => a.hostname), ['n0', undefined], 'hostname only when the pod names this Service as its subdomain');
});

test('computeEndpointSlices: conditions, labels, owner, ports and the 100-endpoint split', () => {
  const [slice] = computeEndpointSlices(svc(), [pod('a', '10.42.0.5', { node: 'node01' }), pod('c', '10.42.0.9', { ready: false }), pod('t', '10.42.0.10', { deleting: true })]);
  assert.equal(slice.addressType, 'IPv4');
  assert.deepEqual(slice.metadata?.labels, { app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.equal(slice.metadata?.generateName, 'web-');
  assert.deepEqual(slice.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(slice.endpoints.map((e) => [e.addresses[0], e.conditions]), [
    ['10.42.0.10', { ready: false, serving: true, terminating: true }],
    ['10.42.0.5', { ready: true, serving: true, terminating: false }],
    ['10.42.0.9', { ready: false, serving: false, terminating: false }],
  ]);
  assert.equal(slice.endpoints[1].nodeName, 'node01');
  const many = Array.from({ length: 150 }, (_, i) => pod(`p${i}`, `10.42.${Math.floor(i / 200)}.${i + 1}`));
  assert.deepEqual(computeEndpointSlices(svc(), many).map((s) => s.endpoints.length), [100, 50]);
  const empty = computeEndpointSlices(svc(), []);
  assert.deepEqual([empty.length, empty[0].endpoints, empty[0].ports], [1, [], []], 'placeholder slice');
});
