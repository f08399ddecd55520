import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ClusterZone } from './records.js';

const services: Service[] = [
  { metadata: { namespace: 'default', name: 'my-svc' }, spec: { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
  { metadata: { namespace: 'default', name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } },
  { metadata: { namespace: 'web', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.test.' } },
];
const slices: EndpointSlice[] = [{
  metadata: { namespace: 'default', name: 'db-x', labels: { 'kubernetes.io/service-name': 'db' } },
  addressType: 'IPv4',
  ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  endpoints: [
    { addresses: ['10.42.1.5'], conditions: { ready: true } },
    { addresses: ['10.42.1.6'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['10.42.1.7'], conditions: { ready: false } },
  ],
}];
const zone = new ClusterZone('cluster.local', services, slices, 1700000000);

test('ClusterZone answers as CoreDNS kubernetes plugin does', () => {
  const cases: { name: string; q: string; type: string; rcode: string; data?: unknown[] }[] = [
    { name: 'ClusterIP service A', q: 'my-svc.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', data: ['10.43.0.20'] },
    { name: 'case-insensitive with trailing dot', q: 'MY-SVC.Default.svc.cluster.local.', type: 'A', rcode: 'NOERROR', data: ['10.43.0.20'] },
    { name: 'AAAA of an IPv4 service is NODATA', q: 'my-svc.default.svc.cluster.local', type: 'AAAA', rcode: 'NOERROR', data: [] },
    { name: 'headless lists ready endpoints only', q: 'db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', data: ['10.42.1.5', '10.42.1.6'] },
    { name: 'headless endpoint by hostname', q: 'db-0.db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', data: ['10.42.1.6'] },
    { name: 'headless endpoint by dashed address', q: '10-42-1-5.db.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', data: ['10.42.1.5'] },
    { name: 'not-ready headless endpoint does not exist', q: '10-42-1-7.db.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
    { name: 'named port SRV', q: '_http._tcp.my-svc.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', data: [{ priority: 0, weight: 100, port: 80, target: 'my-svc.default.svc.cluster.local' }] },
    { name: 'headless SRV spreads weight', q: '_pg._tcp.db.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', data: [
      { priority: 0, weight: 50, port: 5432, target: '10-42-1-5.db.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
    ] },
    { name: 'unknown port SRV', q: '_nope._tcp.my-svc.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN' },
    { name: 'ExternalName is a CNAME', q: 'ext.web.svc.cluster.local', type: 'A', rcode: 'NOERROR', data: ['example.test'] },
    { name: 'pod A record from the dashed address', q: '10-42-1-9.default.pod.cluster.local', type: 'A', rcode: 'NOERROR', data: ['10.42.1.9'] },
    { name: 'pod name that is no address', q: 'foo.default.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
    { name: 'unknown service', q: 'nope.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
    { name: 'known namespace has no records of its own', q: 'default.svc.cluster.local', type: 'A', rcode: 'NOERROR', data: [] },
    { name: 'unknown namespace', q: 'nope.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
    { name: 'search-list miss in the zone', q: 'example.com.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN' },
    { name: 'zone apex SOA', q: 'cluster.local', type: 'SOA', rcode: 'NOERROR', data: [{ mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1700000000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 }] },
    { name: 'PTR of a ClusterIP', q: '20.0.43.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', data: ['my-svc.default.svc.cluster.local'] },
    { name: 'PTR of a headless endpoint', q: '6.1.42.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', data: ['db-0.db.default.svc.cluster.local'] },
    { name: 'PTR of an address we do not know is not ours', q: '1.1.168.192.in-addr.arpa', type: 'PTR', rcode: 'outside' },
    { name: 'names outside the zone are not ours', q: 'example.com', type: 'A', rcode: 'outside' },
  ];
  for (const c of cases) {
    const got = zone.answer(c.q, c.type);
    assert.equal(got.rcode, c.rcode, c.name);
    if (c.data) assert.deepEqual(got.answers.map((r) => r.data), c.data, c.name);
    if (c.rcode === 'NXDOMAIN' || (c.rcode === 'NOERROR' && got.answers.length === 0)) {
      assert.deepEqual(got.authorities.map((r) => r.type), ['SOA'], `${c.name}: SOA in authority`);
    }
    for (const r of got.answers) assert.equal(r.ttl, 5, `${c.name}: TTL`);
  }
});

test('SRV answers carry the targets\' addresses as additional records', () => {
  const got = zone.answer('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.deepEqual(got.additionals.map((r) => [r.name, r.data]), [
    ['10-42-1-5.db.default.svc.cluster.local', '10.42.1.5'],
    ['db-0.db.default.svc.cluster.local', '10.42.1.6'],
  ]);
});

test('publishNotReadyAddresses publishes not-ready endpoints', () => {
  const svc: Service = { metadata: { namespace: 'default', name: 'db' }, spec: { clusterIP: 'None', publishNotReadyAddresses: true } };
  const z = new ClusterZone('cluster.local', [svc], slices);
  assert.deepEqual(z.answer('db.default.svc.cluster.local', 'A').answers.map((r) => r.data), ['10.42.1.5', '10.42.1.6', '10.42.1.7']);
});
