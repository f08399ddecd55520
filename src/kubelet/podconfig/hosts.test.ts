// The kubelet-managed /etc/hosts (kubelet_pods_test.go TestManagedHostsFileContent cases).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { managedHostsFileContent, nodeHostsFileContent, podHostnameAndDomain, truncateHostname } from './hosts.js';

const LOCAL = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

const cases = [
  { name: 'pod IP and hostname', ips: ['10.42.1.5'], host: 'web', domain: '', aliases: undefined, want: `${LOCAL}10.42.1.5\tweb\n` },
  { name: 'with subdomain', ips: ['10.42.1.5'], host: 'web', domain: 'sub.team.svc.cluster.local', aliases: undefined, want: `${LOCAL}10.42.1.5\tweb.sub.team.svc.cluster.local\tweb\n` },
  {
    name: 'host aliases',
    ips: ['10.42.1.5'], host: 'web', domain: '',
    aliases: [{ ip: '123.45.67.89', hostnames: ['foo', 'bar'] }, { ip: '::1', hostnames: ['v6'] }],
    want: `${LOCAL}10.42.1.5\tweb\n\n# Entries added by HostAliases.\n123.45.67.89\tfoo\tbar\n::1\tv6\n`,
  },
];
for (const c of cases) {
  test(`managedHostsFileContent: ${c.name}`, () => {
    assert.equal(managedHostsFileContent(c.ips, c.host, c.domain, c.aliases), c.want);
  });
}

test('nodeHostsFileContent: host-network header then the node file', () => {
  assert.equal(nodeHostsFileContent('127.0.0.1 localhost\n'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n');
});

test('podHostnameAndDomain: spec.hostname and subdomain; names over 63 chars truncated without trailing - or .', () => {
  const pod = { metadata: { name: 'web-0', namespace: 'team' }, spec: { containers: [], hostname: 'h', subdomain: 'sub' } };
  assert.deepEqual(podHostnameAndDomain(pod, 'cluster.local'), { hostname: 'h', domain: 'sub.team.svc.cluster.local' });
  assert.deepEqual(podHostnameAndDomain({ metadata: { name: 'web-0', namespace: 'team' }, spec: { containers: [] } }, 'cluster.local'), { hostname: 'web-0', domain: '' });
  assert.equal(truncateHostname(`${'a'.repeat(62)}-bbb`), 'a'.repeat(62));
});
