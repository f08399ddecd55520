import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../../../api/field-errors.js';
import type { KubeObject } from '../types.js';
import { fakeContext } from '../testing/context.js';
import { endpointSliceStrategy } from './endpoint-slice.js';

const s = endpointSliceStrategy();
const now = new Date('2025-01-01T00:00:00Z');
const slice = (extra: Record<string, any>): KubeObject => ({ metadata: { name: 'web-abcde', namespace: 'default' }, addressType: 'IPv4', ...extra });

const rows: Array<{ name: string; obj: KubeObject; want: unknown[] }> = [
  { name: 'empty', obj: slice({}), want: ['web-abcde', 'IPv4', '<unset>', '<unset>', '<unknown>'] },
  {
    name: 'ports by number, name or *, endpoints capped at 3',
    obj: slice({ ports: [{ port: 80 }, { name: 'http' }, {}], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'], conditions: { ready: false } }] }),
    want: ['web-abcde', 'IPv4', '80,http,*', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '<unknown>'],
  },
];
for (const r of rows) test(`table: ${r.name}`, () => assert.deepEqual(s.table.cells(r.obj, now), r.want));

test('defaults and validation', () => {
  const ctx = fakeContext();
  const o = slice({ ports: [{ port: 80 }], endpoints: [{ addresses: ['fd00::1'] }] });
  s.prepareForCreate!(o, ctx);
  assert.deepEqual(o.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  assert.deepEqual(s.validate!(o, ctx).map(formatFieldError), ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']);
  assert.deepEqual(s.validate!(slice({ addressType: 'IPv5' }), ctx).map(formatFieldError), ['addressType: Unsupported value: "IPv5": supported values: "IPv4", "IPv6", "FQDN"']);
  assert.deepEqual(s.validateUpdate!(slice({ addressType: 'IPv6' }), slice({}), ctx).map(formatFieldError), ['addressType: Invalid value: "IPv6": field is immutable']);
});
