import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { endpointsStrategy, formatEndpoints } from './endpoints.js';

const ep = (subsets: unknown[] | undefined): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, subsets });
const cases: Array<{ name: string; obj: KubeObject; want: string }> = [
  { name: 'no subsets', obj: ep(undefined), want: '<none>' },
  { name: 'only not-ready addresses', obj: ep([{ notReadyAddresses: [{ ip: '10.42.0.4' }], ports: [{ port: 80 }] }]), want: '' },
  { name: 'headless without ports', obj: ep([{ addresses: [{ ip: '10.42.0.4' }, { ip: '10.42.0.5' }] }]), want: '10.42.0.4,10.42.0.5' },
  {
    name: '2 ports x 3 addresses', obj: ep([{ addresses: [{ ip: '10.1.0.4' }, { ip: '10.1.0.5' }, { ip: '10.1.0.6' }], ports: [{ port: 8080 }, { port: 9090 }] }]),
    want: '10.1.0.4:8080,10.1.0.5:8080,10.1.0.6:8080 + 3 more...',
  },
  { name: 'ipv6 brackets', obj: ep([{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }]), want: '[fd00::1]:80' },
];
for (const c of cases) test(`ENDPOINTS cell: ${c.name}`, () => assert.equal(formatEndpoints(c.obj), c.want));

test('defaults and validation', () => {
  const s = endpointsStrategy();
  const ctx = fakeContext();
  const o = ep([{ addresses: [{ ip: 'x' }], ports: [{ port: 0 }] }]);
  s.prepareForCreate!(o, ctx);
  assert.equal(o.subsets[0].ports[0].protocol, 'TCP');
  assert.deepEqual(s.validate!(o, ctx).map(formatFieldError), [
    'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(s.table.cells(ep(undefined), new Date()), ['web', '<none>', '<unknown>']);
});

const special: Array<{ name: string; ip: string; want: string[] }> = [
  { name: 'pod address ok', ip: '10.42.0.7', want: [] },
  { name: 'unspecified', ip: '0.0.0.0', want: ['subsets[0].addresses[0].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)'] },
  { name: 'loopback', ip: '127.0.1.1', want: ['subsets[0].addresses[0].ip: Invalid value: "127.0.1.1": may not be in the loopback range (127.0.0.0/8)'] },
  { name: 'link-local', ip: '169.254.169.254', want: ['subsets[0].addresses[0].ip: Invalid value: "169.254.169.254": may not be in the link-local range (169.254.0.0/16)'] },
];
for (const c of special) {
  test(`validate special addresses: ${c.name}`, () => {
    const s = endpointsStrategy();
    const o = ep([{ addresses: [{ ip: c.ip }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    assert.deepEqual(s.validate!(o, fakeContext()).map(formatFieldError), c.want);
  });
}

test('validate: the kubernetes Endpoints may name a loopback API address; empty subsets need addresses', () => {
  const s = endpointsStrategy();
  const api: KubeObject = { metadata: { name: 'kubernetes', namespace: 'default' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }] };
  assert.deepEqual(s.validate!(api, fakeContext()), []);
  assert.deepEqual(s.validate!(ep([{ ports: [{ port: 80, protocol: 'TCP' }] }]), fakeContext()).map(formatFieldError), ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']);
});
