import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { chainHash, endpointChain, probability, renderRules, serviceChain, type RuleInput } from './rules.js';
import { buildServicePorts, type ServicePortInfo } from './service-map.js';

test('chain hashes match kube-proxy (proxier_test.go: ns1/svc1:p80 -> KUBE-SVC-XPGD46QRK7WJZT7O, 10.180.0.1:80 -> KUBE-SEP-SXIVWICOYRO3J4NJ)', () => {
  assert.equal(chainHash('ns1/svc1:p80', 'tcp'), 'XPGD46QRK7WJZT7O');
  assert.equal(chainHash('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'SXIVWICOYRO3J4NJ');
  const sp: ServicePortInfo = { namespace: 'ns1', name: 'svc1', portName: 'p80', protocol: 'TCP', clusterIP: '172.30.0.41', port: 80, endpoints: [] };
  assert.equal(serviceChain('KUBE', sp), 'KUBE-SVC-XPGD46QRK7WJZT7O');
  assert.equal(endpointChain('KUBE', sp, '10.180.0.1', 80), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
});

test('balancing probabilities are 1/(n-i) with ten decimals, as kube-proxy prints them', () => {
  for (const c of [
    { name: 'two endpoints, first', n: 2, want: '0.5000000000' },
    { name: 'three endpoints, first', n: 3, want: '0.3333333333' },
    { name: 'four endpoints, first', n: 4, want: '0.2500000000' },
  ]) assert.equal(probability(c.n), c.want, c.name);
});

const svc = (name: string, spec: Service['spec']): Service => ({ metadata: { namespace: 'default', name }, spec });
const slice = (svcName: string, port: { name?: string; port: number }, eps: { ip: string; ready?: boolean }[]): EndpointSlice => ({
  metadata: { namespace: 'default', name: `${svcName}-abc`, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  ports: [{ ...port, protocol: 'TCP' }],
  endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: e.ready === undefined ? {} : { ready: e.ready } })),
});

test('buildServicePorts: ready endpoints only, matched by port name, headless and ExternalName skipped', () => {
  const cases: { name: string; services: Service[]; slices: EndpointSlice[]; want: Partial<ServicePortInfo>[] }[] = [
    {
      name: 'ready and unset conditions count, ready=false does not',
      services: [svc('web', { type: 'ClusterIP', clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, targetPort: 8080 }] })],
      slices: [slice('web', { name: 'http', port: 8080 }, [{ ip: '10.42.1.3' }, { ip: '10.42.1.2', ready: true }, { ip: '10.42.1.4', ready: false }])],
      want: [{ name: 'web', portName: 'http', clusterIP: '10.43.0.5', port: 80, endpoints: [{ ip: '10.42.1.2', port: 8080 }, { ip: '10.42.1.3', port: 8080 }] }],
    },
    {
      name: 'node port kept for NodePort services; slice port name must match',
      services: [svc('np', { type: 'NodePort', clusterIP: '10.43.0.6', ports: [{ port: 80, nodePort: 30080 }] })],
      slices: [slice('np', { name: 'other', port: 9 }, [{ ip: '10.42.1.9' }]), slice('np', { port: 8080 }, [{ ip: '10.42.1.2' }])],
      want: [{ name: 'np', portName: '', nodePort: 30080, endpoints: [{ ip: '10.42.1.2', port: 8080 }] }],
    },
    {
      name: 'headless and ExternalName services are not proxied',
      services: [svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }), svc('x', { type: 'ExternalName', externalName: 'example.test' })],
      slices: [],
      want: [],
    },
  ];
  for (const c of cases) {
    const got = buildServicePorts(c.services, c.slices);
    assert.equal(got.length, c.want.length, c.name);
    c.want.forEach((w, i) => {
      for (const [k, v] of Object.entries(w)) assert.deepEqual(got[i][k as keyof ServicePortInfo], v, `${c.name}: ${k}`);
    });
  }
});

const base: Omit<RuleInput, 'services'> = {
  prefix: 'BT', clusterCIDR: '10.42.0.0/16', nodeIPs: ['127.0.1.1'],
};

test('renderRules: a NodePort service with two endpoints', () => {
  const [sp] = buildServicePorts(
    [svc('web', { type: 'NodePort', clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    [slice('web', { name: 'http', port: 8080 }, [{ ip: '10.42.1.2' }, { ip: '10.42.1.3' }])],
  );
  const out = renderRules({ ...base, services: [sp] });
  const svcChain = serviceChain('BT', sp);
  const sep1 = endpointChain('BT', sp, '10.42.1.2', 8080);
  const sep2 = endpointChain('BT', sp, '10.42.1.3', 8080);
  const nat = out.slice(out.indexOf('*nat'));
  for (const line of [
    `-A BT-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.43.0.5/32 --dport 80 -j ${svcChain}`,
    `-A ${svcChain} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.43.0.5/32 --dport 80 ! -s 10.42.0.0/16 -j BT-MARK-MASQ`,
    `-A ${svcChain} -m comment --comment "default/web:http -> 10.42.1.2:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep1}`,
    `-A ${svcChain} -m comment --comment "default/web:http -> 10.42.1.3:8080" -j ${sep2}`,
    `-A ${sep1} -m comment --comment default/web:http -s 10.42.1.2/32 -j BT-MARK-MASQ`,
    `-A ${sep1} -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.42.1.2:8080`,
    '-A BT-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j BT-EXT-' + svcChain.slice('BT-SVC-'.length),
    '-A BT-POSTROUTING -m comment --comment "berth service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ]) assert.ok(nat.includes(`${line}\n`), `missing nat rule: ${line}\n${nat}`);
  const natLines = nat.split('\n');
  assert.equal(natLines.filter((l) => l.startsWith('-A BT-SERVICES')).at(-1),
    '-A BT-SERVICES -m comment --comment "berth service nodeports; NOTE: this must be the last rule in this chain" -d 127.0.1.1/32 -j BT-NODEPORTS');
  assert.ok(!out.includes('has no endpoints'));
});

test('renderRules: a service without ready endpoints is rejected, not DNATed', () => {
  const [sp] = buildServicePorts(
    [svc('empty', { type: 'NodePort', clusterIP: '10.43.0.7', ports: [{ port: 80, nodePort: 30081 }] })],
    [slice('empty', { port: 80 }, [{ ip: '10.42.1.2', ready: false }])],
  );
  const out = renderRules({ ...base, services: [sp] });
  const filter = out.slice(0, out.indexOf('*nat'));
  assert.ok(filter.includes('-A BT-SERVICES -m comment --comment "default/empty has no endpoints" -m tcp -p tcp -d 10.43.0.7/32 --dport 80 -j REJECT --reject-with icmp-port-unreachable\n'), filter);
  assert.ok(filter.includes('-A BT-EXTERNAL-SERVICES -m comment --comment "default/empty has no endpoints" -d 127.0.1.1/32 -m tcp -p tcp --dport 30081 -j REJECT --reject-with icmp-port-unreachable\n'), filter);
  assert.ok(!out.includes('BT-SVC-'), out);
});

test('renderRules: chains of deleted services are flushed, then deleted; base chains stay', () => {
  const out = renderRules({ ...base, services: [], existingChains: { nat: ['BT-SERVICES', 'BT-SVC-OLD', 'BT-SEP-OLD'], filter: ['BT-SERVICES', 'BT-SERVICE-GUARD'] } });
  const lines = out.split('\n');
  for (const c of ['BT-SVC-OLD', 'BT-SEP-OLD', 'BT-SERVICE-GUARD']) {
    assert.ok(lines.indexOf(`:${c} - [0:0]`) > 0 && lines.indexOf(`-X ${c}`) > lines.indexOf(`:${c} - [0:0]`), `${c} flushed then deleted`);
  }
  assert.ok(!lines.includes('-X BT-SERVICES'));
});

test('renderRules: masqueradeAll marks pod traffic to a ClusterIP too (no br_netfilter)', () => {
  const [sp] = buildServicePorts(
    [svc('web', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] })],
    [slice('web', { port: 8080 }, [{ ip: '10.42.1.2' }])],
  );
  const cases = [
    { name: 'default: only from outside the pod network', masqueradeAll: false, want: `-m tcp -p tcp -d 10.43.0.5/32 --dport 80 ! -s 10.42.0.0/16 -j BT-MARK-MASQ` },
    { name: 'masqueradeAll: from anywhere', masqueradeAll: true, want: `-m tcp -p tcp -d 10.43.0.5/32 --dport 80 -j BT-MARK-MASQ` },
  ];
  for (const c of cases) {
    const out = renderRules({ ...base, services: [sp], masqueradeAll: c.masqueradeAll });
    assert.ok(out.includes(`-A ${serviceChain('BT', sp)} -m comment --comment "default/web cluster IP" ${c.want}\n`), `${c.name}\n${out}`);
  }
});

