// Pod DNS config per dnsPolicy, as upstream's GetPodDNS (pkg/kubelet/network/dns/dns_test.go).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseResolvConf, podDnsConfig, type DnsConfig } from './dns.js';

const host = parseResolvConf('# generated\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example. lab.example\noptions timeout:2 attempts:3\n');

function pod(spec: Partial<NonNullable<Pod['spec']>>, ns = 'team'): Pod {
  return { metadata: { name: 'web', namespace: ns, uid: 'u1' }, spec: { containers: [], ...spec } };
}

test('parseResolvConf: servers accumulate, last search/options win, trailing dots dropped', () => {
  assert.deepEqual(host, { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'attempts:3'] });
  assert.deepEqual(parseResolvConf('search a\nsearch b c\noptions x\noptions y'), { servers: [], searches: ['b', 'c'], options: ['y'] });
});

const cluster = { clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', host };
const cases: { name: string; pod: Pod; settings?: typeof cluster; want: DnsConfig; warnings?: string[] }[] = [
  {
    name: 'ClusterFirst: cluster DNS, cluster searches then the host searches, ndots:5',
    pod: pod({ dnsPolicy: 'ClusterFirst' }),
    want: { servers: ['10.43.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'], options: ['ndots:5'] },
  },
  {
    name: 'no dnsPolicy defaults to ClusterFirst',
    pod: pod({}),
    want: { servers: ['10.43.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'], options: ['ndots:5'] },
  },
  {
    name: 'Default: the host resolv.conf',
    pod: pod({ dnsPolicy: 'Default' }),
    want: { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'attempts:3'] },
  },
  {
    name: 'ClusterFirst on the host network falls back to Default',
    pod: pod({ dnsPolicy: 'ClusterFirst', hostNetwork: true }),
    want: { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'attempts:3'] },
  },
  {
    name: 'ClusterFirstWithHostNet on the host network uses cluster DNS',
    pod: pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }),
    want: { servers: ['10.43.0.10'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'], options: ['ndots:5'] },
  },
  {
    name: 'None: only the pod dnsConfig',
    pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['203.0.113.1'], searches: ['my.dns.search.suffix'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
    want: { servers: ['203.0.113.1'], searches: ['my.dns.search.suffix'], options: ['ndots:2', 'edns0'] },
  },
  {
    name: 'ClusterFirst plus dnsConfig: appended, duplicates dropped, options merged by name',
    pod: pod({ dnsPolicy: 'ClusterFirst', dnsConfig: { nameservers: ['10.43.0.10', '203.0.113.1'], searches: ['cluster.local', 'extra.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } }),
    want: { servers: ['10.43.0.10', '203.0.113.1'], searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'extra.example'], options: ['ndots:1', 'single-request'] },
  },
  {
    name: 'more than 3 nameservers are cut with a warning',
    pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'] } }),
    want: { servers: ['203.0.113.1', '203.0.113.2', '203.0.113.3'], searches: [], options: [] },
    warnings: ['Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 203.0.113.1 203.0.113.2 203.0.113.3'],
  },
  {
    name: 'more than 32 search paths are cut with a warning',
    pod: pod({ dnsPolicy: 'None', dnsConfig: { searches: Array.from({ length: 34 }, (_, i) => `s${i}.example`) } }),
    want: { servers: [], searches: Array.from({ length: 32 }, (_, i) => `s${i}.example`), options: [] },
    warnings: [`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${Array.from({ length: 32 }, (_, i) => `s${i}.example`).join(' ')}`],
  },
  {
    name: 'no cluster DNS configured: ClusterFirst falls back to Default with a warning',
    pod: pod({ dnsPolicy: 'ClusterFirst' }),
    settings: { ...cluster, clusterDns: [] },
    want: { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2', 'attempts:3'] },
    warnings: ['pod: "web_team(u1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.'],
  },
];

for (const c of cases) {
  test(`podDnsConfig: ${c.name}`, () => {
    const r = podDnsConfig(c.pod, c.settings ?? cluster);
    assert.deepEqual(r.config, c.want);
    assert.deepEqual(r.warnings, c.warnings ?? []);
  });
}

test('podDnsConfig: Default without a host resolv.conf uses 127.0.0.1 and search "."', () => {
  const r = podDnsConfig(pod({ dnsPolicy: 'Default' }), { ...cluster, host: undefined });
  assert.deepEqual(r.config, { servers: ['127.0.0.1'], searches: ['.'], options: [] });
});
