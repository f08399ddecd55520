import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePodCIDR, isClusterSlash24, validateCredentialsRequest } from './node-join.js';

test('choosePodCIDR: existing, then reserved, then a free preferred, then the first free /24 from 10.42.1.0/24', () => {
  const used = (...n: number[]) => new Set(n.map((i) => `10.42.${i}.0/24`));
  const all = new Set(Array.from({ length: 255 }, (_, i) => `10.42.${i + 1}.0/24`));
  const cases: Array<{ name: string; in: Parameters<typeof choosePodCIDR>[0]; want: string | undefined }> = [
    { name: 'first node', in: { used: used() }, want: '10.42.1.0/24' },
    { name: 'skips used ones', in: { used: used(1, 2, 4) }, want: '10.42.3.0/24' },
    { name: 'the Node\'s own CIDR wins', in: { existing: '10.42.9.0/24', reserved: '10.42.5.0/24', used: used() }, want: '10.42.9.0/24' },
    { name: 'a reservation from an earlier join', in: { reserved: '10.42.5.0/24', used: used() }, want: '10.42.5.0/24' },
    { name: 'a free preferred CIDR', in: { preferred: '10.42.7.0/24', used: used(1) }, want: '10.42.7.0/24' },
    { name: 'a preferred CIDR held by another node', in: { preferred: '10.42.1.0/24', used: used(1) }, want: '10.42.2.0/24' },
    { name: 'a preferred CIDR outside the cluster range', in: { preferred: '10.43.1.0/24', used: used() }, want: '10.42.1.0/24' },
    { name: 'exhausted', in: { used: all }, want: undefined },
  ];
  for (const tc of cases) assert.equal(choosePodCIDR(tc.in), tc.want, tc.name);
});

test('isClusterSlash24 accepts only 10.42.N.0/24', () => {
  const cases = [
    { name: 'ok', v: '10.42.12.0/24', want: true },
    { name: 'zero', v: '10.42.0.0/24', want: true },
    { name: 'leading zero', v: '10.42.012.0/24', want: false },
    { name: 'out of range', v: '10.42.256.0/24', want: false },
    { name: 'wrong prefix length', v: '10.42.1.0/23', want: false },
    { name: 'host bits', v: '10.42.1.1/24', want: false },
  ];
  for (const tc of cases) assert.equal(isClusterSlash24(tc.v), tc.want, tc.name);
});

test('validateCredentialsRequest', () => {
  const cases: Array<{ name: string; body: any; fields: string[] }> = [
    { name: 'valid', body: { nodeName: 'node01', addresses: ['127.0.1.1', 'node01.local'] }, fields: [] },
    { name: 'missing name', body: { addresses: [] }, fields: ['nodeName'] },
    { name: 'upper case name', body: { nodeName: 'Node01', addresses: [] }, fields: ['nodeName'] },
    { name: 'addresses not a list', body: { nodeName: 'n', addresses: '127.0.0.1' }, fields: ['addresses'] },
    { name: 'bad address', body: { nodeName: 'n', addresses: ['127.0.0.1', 'not valid'] }, fields: ['addresses[1]'] },
    { name: 'bad preferred CIDR', body: { nodeName: 'n', addresses: [], podCIDR: '10.0.0.0/8' }, fields: ['podCIDR'] },
  ];
  for (const tc of cases) assert.deepEqual(validateCredentialsRequest(tc.body).map((e) => e.field), tc.fields, tc.name);
});
