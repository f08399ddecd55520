import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelSelectorString, randomNameSuffix, rfc3339, getPath, setPath } from './registry.js';
import { dropField, warningHeader } from './handler.js';
import { parseListen } from './index.js';

describe('labelSelectorString (Scale status.selector)', () => {
  const cases = [
    { name: 'matchLabels sorted by key', sel: { matchLabels: { tier: 'web', app: 'x' } }, want: 'app=x,tier=web' },
    { name: 'expressions with sorted values', sel: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }, { key: 'b', operator: 'Exists' }, { key: 'c', operator: 'DoesNotExist' }, { key: 'd', operator: 'NotIn', values: ['1'] }] }, want: 'b,!c,d notin (1),env in (dev,prod)' },
    { name: 'empty', sel: {}, want: '' },
    { name: 'a string passes through', sel: 'app=x', want: 'app=x' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(labelSelectorString(c.sel), c.want));
});

describe('small helpers', () => {
  it('randomNameSuffix uses upstream\'s alphabet', () => {
    for (let i = 0; i < 50; i++) assert.match(randomNameSuffix(), /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
  it('rfc3339 drops milliseconds as metav1.Time does', () => {
    assert.equal(rfc3339(new Date('2025-01-02T03:04:05.678Z')), '2025-01-02T03:04:05Z');
  });
  it('getPath/setPath walk dot paths', () => {
    const o: any = { spec: { replicas: 2 } };
    assert.equal(getPath(o, 'spec.replicas'), 2);
    setPath(o, 'status.replicas', 3);
    assert.deepEqual(o.status, { replicas: 3 });
  });
  it('warningHeader quotes as upstream', () => {
    assert.equal(warningHeader('unknown field "spec.foo"'), '299 - "unknown field \\"spec.foo\\""');
  });
  const drops = [
    { name: 'top-level', msg: 'unknown field "spec"', before: { spec: 1, data: 2 }, after: { data: 2 } },
    { name: 'nested through a list', msg: 'unknown field "spec.containers[1].bogus"', before: { spec: { containers: [{ a: 1 }, { a: 2, bogus: 3 }] } }, after: { spec: { containers: [{ a: 1 }, { a: 2 }] } } },
    { name: 'a message of another shape', msg: 'duplicate field "x"', before: { x: 1 }, after: { x: 1 } },
  ];
  for (const c of drops) {
    it(`dropField: ${c.name}`, () => {
      const o = structuredClone(c.before);
      dropField(o, c.msg);
      assert.deepEqual(o, c.after);
    });
  }
  const listens = [
    { name: 'IPv4', in: '127.0.0.1:6443', want: { host: '127.0.0.1', port: 6443 } },
    { name: 'IPv6', in: '[::1]:0', want: { host: '::1', port: 0 } },
    { name: 'hostname', in: 'localhost:8443', want: { host: 'localhost', port: 8443 } },
  ];
  for (const c of listens) it(`parseListen: ${c.name}`, () => assert.deepEqual(parseListen(c.in), c.want));
  for (const bad of ['6443', '127.0.0.1', '127.0.0.1:99999', ':x']) {
    it(`parseListen rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseListen(bad), /invalid listen address/));
  }
});
