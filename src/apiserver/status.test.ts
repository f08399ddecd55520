import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alreadyExists, conflict, entityTooLarge, forbidden, internalError, invalid, notFound, unauthorized } from './status.js';
import { decodeJson, goJsonError } from './body.js';

describe('Status builders', () => {
  const cases = [
    { name: 'core NotFound', err: notFound({ group: '', resource: 'pods' }, 'x'), code: 404, reason: 'NotFound', message: 'pods "x" not found', details: { name: 'x', kind: 'pods' } },
    { name: 'group NotFound', err: notFound({ group: 'apps', resource: 'deployments' }, 'web'), code: 404, reason: 'NotFound', message: 'deployments.apps "web" not found', details: { name: 'web', group: 'apps', kind: 'deployments' } },
    { name: 'AlreadyExists', err: alreadyExists({ group: '', resource: 'services' }, 'web'), code: 409, reason: 'AlreadyExists', message: 'services "web" already exists', details: { name: 'web', kind: 'services' } },
    { name: 'Conflict', err: conflict({ group: '', resource: 'pods' }, 'x'), code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again', details: { name: 'x', kind: 'pods' } },
    { name: 'Forbidden in a terminating namespace', err: forbidden({ group: '', resource: 'configmaps' }, 'c', 'unable to create new content in namespace t because it is being terminated'), code: 403, reason: 'Forbidden', message: 'configmaps "c" is forbidden: unable to create new content in namespace t because it is being terminated', details: { name: 'c', kind: 'configmaps' } },
    { name: '413', err: entityTooLarge('limit is 3145728'), code: 413, reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728', details: undefined },
    { name: '401', err: unauthorized(), code: 401, reason: 'Unauthorized', message: 'Unauthorized', details: undefined },
    { name: '500', err: internalError('boom'), code: 500, reason: 'InternalError', message: 'Internal error occurred: boom', details: { causes: [{ message: 'boom' }] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = c.err.status;
      assert.equal(s.kind, 'Status');
      assert.equal(s.apiVersion, 'v1');
      assert.equal(s.status, 'Failure');
      assert.equal(s.code, c.code);
      assert.equal(s.reason, c.reason);
      assert.equal(s.message, c.message);
      assert.deepEqual(s.details, c.details);
    });
  }
  it('Invalid carries causes with field paths and a qualified kind', () => {
    const s = invalid('apps', 'Deployment', 'web', [
      { type: 'Required', field: 'spec.template.spec.containers[0].image' },
      { type: 'Invalid', field: 'spec.replicas', badValue: -1, detail: 'must be greater than or equal to 0' },
    ]).status;
    assert.equal(s.code, 422);
    assert.equal(s.message, 'Deployment.apps "web" is invalid: [spec.template.spec.containers[0].image: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]');
    assert.deepEqual(s.details, {
      name: 'web', group: 'apps', kind: 'Deployment',
      causes: [
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' },
        { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' },
      ],
    });
  });
});

describe('JSON body errors in Go\'s words', () => {
  const cases = [
    { name: 'bad value start', text: '{"a": x}', want: "invalid character 'x' looking for beginning of value" },
    { name: 'missing colon', text: '{"a" 1}', want: "invalid character '1' after object key" },
    { name: 'missing comma', text: '{"a":1 "b":2}', want: "invalid character '\"' after object key:value pair" },
    { name: 'bad key', text: '{x}', want: "invalid character 'x' looking for beginning of object key string" },
    { name: 'truncated', text: '{"a":', want: 'unexpected end of JSON input' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      let err: unknown;
      try { JSON.parse(c.text); } catch (e) { err = e; }
      assert.equal(goJsonError(c.text, err), c.want);
    });
  }
  it('a create body that is not JSON is a 400 naming the version/kind step', () => {
    assert.throws(() => decodeJson(Buffer.from('{"kind": nope}')), (e: any) => e.status.code === 400 && e.status.message === "couldn't get version/kind; json parse error: invalid character 'o' in literal null (expecting 'u')");
  });
});
