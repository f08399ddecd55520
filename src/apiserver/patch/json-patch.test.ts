import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyJsonPatch, PatchError } from './index.js';

const doc = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 2, ports: [{ port: 80 }] } };

describe('applyJsonPatch (RFC 6902)', () => {
  const ok: Array<{ name: string; patch: unknown[]; want: unknown }> = [
    { name: 'replace', patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }], want: { ...doc, spec: { ...doc.spec, replicas: 3 } } },
    {
      name: 'add a label with an escaped key',
      patch: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'x' }],
      want: { ...doc, metadata: { name: 'web', labels: { app: 'web', 'app.kubernetes.io/name': 'x' } } },
    },
    { name: 'append to a list', patch: [{ op: 'add', path: '/spec/ports/-', value: { port: 443 } }], want: { ...doc, spec: { ...doc.spec, ports: [{ port: 80 }, { port: 443 }] } } },
    { name: 'remove', patch: [{ op: 'remove', path: '/metadata/labels' }], want: { ...doc, metadata: { name: 'web' } } },
    { name: 'test then replace', patch: [{ op: 'test', path: '/metadata/name', value: 'web' }, { op: 'replace', path: '/metadata/name', value: 'w2' }], want: { ...doc, metadata: { ...doc.metadata, name: 'w2' } } },
    { name: 'move', patch: [{ op: 'move', from: '/metadata/labels', path: '/spec/labels' }], want: { metadata: { name: 'web' }, spec: { ...doc.spec, labels: { app: 'web' } } } },
    { name: 'copy', patch: [{ op: 'copy', from: '/metadata/name', path: '/spec/name' }], want: { ...doc, spec: { ...doc.spec, name: 'web' } } },
  ];
  for (const c of ok) {
    it(c.name, () => {
      assert.deepEqual(applyJsonPatch(doc, c.patch), c.want);
      assert.equal(doc.spec.replicas, 2, 'the original is not modified');
    });
  }

  const bad: Array<{ name: string; patch: unknown; code: number; message: string }> = [
    { name: 'replace of a missing key', patch: [{ op: 'replace', path: '/spec/missing', value: 1 }], code: 422, message: 'replace operation does not apply: doc is missing key: /spec/missing: missing value' },
    { name: 'replace under a missing path', patch: [{ op: 'replace', path: '/status/x/y', value: 1 }], code: 422, message: 'replace operation does not apply: doc is missing path: /status/x/y: missing value' },
    { name: 'remove of a missing key', patch: [{ op: 'remove', path: '/metadata/annotations' }], code: 422, message: "error in remove for path: '/metadata/annotations': Unable to remove nonexistent key: annotations: missing value" },
    { name: 'add under a missing path', patch: [{ op: 'add', path: '/status/x/y', value: 1 }], code: 422, message: 'add operation does not apply: doc is missing path: "/status/x/y": missing value' },
    { name: 'failed test', patch: [{ op: 'test', path: '/spec/replicas', value: 5 }], code: 422, message: 'testing value /spec/replicas failed: test failed' },
    { name: 'unknown op', patch: [{ op: 'frobnicate', path: '/a' }], code: 422, message: 'Unexpected kind: frobnicate' },
    { name: 'move from a missing path', patch: [{ op: 'move', from: '/nope', path: '/a' }], code: 422, message: 'move operation does not apply: doc is missing from path: /nope: missing value' },
    { name: 'a body that is not a list', patch: { op: 'add' }, code: 400, message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' },
    {
      name: 'more than 10000 operations',
      patch: Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/metadata/name', value: 'web' })),
      code: 413,
      message: 'The allowed maximum operations in a JSON patch is 10000, got 10001',
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => applyJsonPatch(doc, c.patch), (e: unknown) => {
        assert.ok(e instanceof PatchError);
        assert.equal(e.message, c.message);
        assert.equal(e.code, c.code);
        return true;
      });
    });
  }

  it('gives the Status fields upstream sends for a 422', () => {
    try {
      applyJsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 5 }]);
      assert.fail('expected a PatchError');
    } catch (e) {
      assert.ok(e instanceof PatchError);
      assert.equal(e.reason, 'Invalid');
      assert.equal(e.statusMessage, 'the server rejected our request due to an error in our request');
    }
  });
});
